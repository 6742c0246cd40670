"""The counterpart's server voice (docs/voice.md, "A server voice"): optional text-to-speech on the Sparring server,
offline. The engine is piper (GPL-3.0): Sparring never imports it; it runs piper's own command-line program as a
separate process and reads the WAV files it writes (``sparring.tts.piper``)."""
