"""Rule layer of the utterance tagger: regular expressions for each tag in ``sparring.scoring.tagging.TAGS``.

Each rule is a phrase pattern a coach would recognise ("It sounds like ...", "If you ..., we can ...").
They are deliberately precise rather than exhaustive; the trained layer (``sparring.scoring.tagmodel``) catches
reflections and questions the patterns miss.
"""

from __future__ import annotations

import re

_F = re.IGNORECASE


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?:" + "|".join(alternatives) + r")", _F)


SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\s*\n\s*|(?<=\?)(?=\S)")

QUESTION_WORD_START = _rx(
    r"^(?:and |but |so |okay,? |well,? |now,? )?(?:what|how|why|where|when|who|whom|whose|which|in what way)\b"
)
CLOSED_START = _rx(
    r"^(?:and |but |so |okay,? |well,? |now,? )?(?:do|does|did|is|are|was|were|can|could|would|will|shall|should|"
    r"have|has|had|may|might|must|am|isn't|aren't|don't|doesn't|didn't|won't|wouldn't|couldn't|haven't|hasn't)\b"
)
OPEN_IMPERATIVE = _rx(
    r"^(?:and |so |okay,? )?(?:tell me|talk me through|walk me through|help me understand|describe|say more|"
    r"share (?:more|with me)|explain|i'?m curious (?:about|what|how|why)|i'?d love to hear|i wonder (?:what|how|why))"
)
TAG_QUESTION = _rx(r"(?:,\s*|\s)(?:right|correct|yes|no|okay|ok|isn't it|aren't you|don't you|true)\s*\?$")
# "What about Tuesday?", "How many seats?" are closed in effect
NARROW_WH = _rx(
    r"^(?:what|which) (?:time|day|date|number|size|version|plan|one)\b", r"^how (?:many|much|long|often|old)\b",
    r"^when\b", r"^where\b", r"^who\b",
)

REFLECTION_START = _rx(
    r"^(?:so,? |and |okay,? |well,? |yeah,? |mm-?hmm,? )*(?:it |that )?sounds? (?:like|as if|as though)\b",
    r"^(?:so,? |and |okay,? |yeah,? )*(?:it|that) (?:seems|feels|looks) (?:like|as if|that)? ?(?:you|for you|your)\b",
    r"^(?:so,? |and |okay,? |yeah,? )*what i'?m hearing\b",
    r"^(?:so,? |and |okay,? |yeah,? )*(?:if i'?m hearing you|if i understand you|let me see if i)",
    r"^so,? (?:you|your|for you)\b",
    r"^(?:so,? |and |okay,? |yeah,? )*you(?:'re| are) (?:feeling|saying|worried|concerned|not sure|wondering|"
    r"frustrated|tired|ready|thinking|torn|hoping)\b",
    r"^(?:so,? |and |okay,? |yeah,? )*you(?:'ve| have) (?:been|got|tried|had)\b",
    r"^(?:so,? |and |okay,? |yeah,? )*you (?:feel|felt|want|wanted|think|thought|wish|worry|don't want|"
    r"really|would like|'d like|value|care)\b",
    r"^(?:so,? |and |okay,? |yeah,? )*(?:part of you|on (?:the )?one hand|for you,|you're someone who)\b",
    r"^(?:so,? |and |okay,? |yeah,? )*(?:you're|you are) (?:someone|the kind)\b",
    r"^(?:so,? |and |okay,? |yeah,? )*(?:(?:this|it|that) is|it's|that's) (?:really )?(?:important|hard|"
    r"difficult|a lot) (?:to|for) you\b",
    r"^(?:so,? |and |okay,? |yeah,? )*[^?]{0,80}\b(?:matters?|means? (?:a lot|so much)|(?:is|are|'s) (?:really )?"
    r"important) to you\b",
)
COMPLEX_MARKERS = _rx(
    r"\bon (?:the )?one hand\b", r"\bon the other\b", r"\bpart of you\b", r"\bat the same time\b",
    r"\band yet\b", r"\beven though\b", r"\bimportant to you\b", r"\bmatters to you\b", r"\byou value\b",
    r"\byou care\b", r"\bworried\b", r"\bscared\b", r"\bafraid\b", r"\bfrustrat", r"\boverwhelm", r"\bguilty\b",
    r"\bproud\b", r"\bhopeful\b", r"\btorn\b", r"\bstuck\b", r"\bas if\b", r"\blike you\b.*\b(?:want|need)\b",
    r"\bfor you\b", r"\breally want\b", r"\bdeep down\b", r"\bwhat you(?:'re| are) saying is\b",
)

ACKNOWLEDGEMENT = _rx(
    r"^(?:i see|i hear you|i understand|understood|got it|gotcha|fair enough|that makes sense|makes sense|"
    r"good point|fair point|thanks for (?:sharing|telling|explaining|being)|thank you for (?:sharing|telling|"
    r"explaining|being)|i appreciate (?:that|you|your)|okay,? (?:i see|got it|understood)|right,? (?:i see|okay))\b",
    r"^(?:mm-?hmm|uh-huh|yeah|yes|right|okay|ok|sure|i see|true)[.!,]*$",
    r"\b(?:that'?s a (?:fair|good|great|valid) (?:point|question|concern)|i can see (?:why|that|how)|"
    r"that'?s (?:understandable|fair))\b",
)
EMPATHY = _rx(
    r"\b(?:that must (?:be|have been)|i can (?:only )?imagine|i'?m (?:so |really )?sorry (?:to hear|that|about)|"
    r"that(?:'s| is| sounds) (?:really |so |very )?(?:tough|hard|difficult|frustrating|stressful|painful|"
    r"exhausting|upsetting|scary|a lot)|no wonder you|understandably|it'?s (?:completely |totally )?"
    r"(?:natural|normal|understandable) to feel|i'?d feel the same|anyone would feel|you'?re not alone)\b",
)
INFORMATION = _rx(
    r"\b(?:research (?:shows|suggests)|studies (?:show|suggest)|the (?:data|evidence|guideline)s?|on average|"
    r"per (?:cent|month|year|seat|user|week)|percent|the way it works|it includes|includes|we offer|our (?:plan|"
    r"platform|product|service|team|contract|policy|pricing)|the (?:price|cost|fee) (?:is|of)|costs? (?:about|"
    r"around)?\s*\$?\d|is (?:recommended|linked|associated)|typically|for example|for instance|in fact|"
    r"the recommended|the limit is|guidelines?)\b",
    r"\d+(?:\.\d+)?\s*%|\$\s?\d",
)
ADVICE = _rx(
    r"\b(?:you (?:should|need to|must|have to|ought to|'d better|had better)|i (?:would |'d )?(?:recommend|"
    r"suggest|advise)|my advice|why don'?t you|if i were you|it'?s (?:best|better|important) (?:to|that you)|"
    r"make sure (?:you|to)|try to|you might want to|you could try|i want you to|don'?t (?:forget|drink|smoke|"
    r"wait))\b",
)
PROPOSAL = _rx(
    r"\b(?:how about|what if we|what if i|i (?:can|could) offer|i propose|let'?s|here'?s what i (?:can|could)|"
    r"one option (?:is|would be)|we could|i could|would it help if|would it work if|i'?d like to suggest we)\b",
)
TRADEOFF = _rx(
    r"\bif (?:you|your team|we|the two of us)\b[^.?!]{0,80}\b(?:then )?(?:i|we) (?:can|could|'?ll|will|would)\b",
    r"\bin (?:exchange|return) (?:for)?\b", r"\bprovided (?:that )?you\b", r"\bas long as you\b",
    r"\bin return\b", r"\bif you can\b[^.?!]{0,80}\b(?:i|we)\b", r"\b(?:trade|swap) (?:you|that|for)\b",
)
CONCESSION = _rx(
    r"\b(?:i|we) (?:can|could|'?ll|will) (?:lower|reduce|drop|waive|cut|match|throw in|include|extend|"
    r"absorb|give you|knock)\b",
    r"\b(?:fine|okay|alright),? (?:i|we)(?:'?ll| will| can)\b", r"\bmeet you (?:halfway|in the middle)\b",
    r"\bmake an exception\b", r"\bi'?ll give you\b", r"\bwhatever (?:number|price) works\b",
    r"\b(?:i|we)(?:'ll| will| can| could) (?:take|cut|knock|shave|lower|reduce|drop|waive|match)\b[^.?!]{0,40}"
    r"\b(?:off|price|rate|fee)\b",
    r"\bwe'?ll (?:cover|eat|absorb) (?:that|the)\b",
)
DISCOUNT = _rx(
    r"\bdiscount", r"\d+\s*(?:%|percent) off\b",
    r"\b(?:take|cut|knock|shave)\b[^.?!]{0,30}\b(?:%|percent|per cent) off\b",
    r"\b(?:percent|%) (?:discount|reduction)\b",
    r"\b(?:lower|reduce|cut|drop) (?:the |your |our )?(?:price|rate|fee|cost)s?\b", r"\bknock\b[^.?!]{0,30}\boff\b",
    r"\bcheaper\b", r"\bwaive (?:the )?(?:fee|cost|charge)", r"\bfree of charge\b", r"\brebate\b",
    r"\bprice (?:cut|reduction|break)\b", r"\b(?:first|extra|a) (?:month|months|year) free\b",
)
COMMITMENT_ASK = _rx(
    r"\b(?:can we agree|are you (?:ready|willing|comfortable) to|shall we (?:go ahead|move forward|sign|proceed)|"
    r"can i count on|will you commit|(?:can|could|would) you commit|do we have a deal|would you be willing to|"
    r"are you on board|is that something you(?:'d| would) (?:be willing|commit|want to do)|"
    r"can we (?:move forward|go ahead|sign)|(?:will|would) you (?:sign|agree|try|give it a try)|"
    r"what would you be willing to|how ready are you|what (?:will|would) you do (?:first|next)|"
    r"are you (?:in|ready)\b|ready to (?:sign|commit|move forward|go ahead))",
)
NEXT_STEP = _rx(
    r"\bnext steps?\b", r"\bfollow[- ]up\b", r"\b(?:i'?ll|i will|we'?ll|we will|let me) (?:send|email|share|"
    r"schedule|set up|book|call you|get back|circle back|put together|draft)\b",
    r"\b(?:let'?s|can we|could we|shall we) (?:schedule|set up|book|meet|talk|reconvene|regroup|find a time)\b",
    r"\bcalendar invite\b", r"\bby (?:monday|tuesday|wednesday|thursday|friday|tomorrow|end of (?:day|week)|"
    r"next week)\b", r"\bon (?:monday|tuesday|wednesday|thursday|friday)\b[^.?!]{0,20}\b(?:at|\d)",
    r"\bmeet again\b", r"\bcheck in (?:again|next|on)\b", r"\bsee you (?:next|on)\b",
)
VALUE_STATEMENT = _rx(
    r"\b(?:saves?|saving|saved) (?:you|your|them|the team|time|money|hours|\d)", r"\breturn on\b", r"\broi\b",
    r"\bpayback\b", r"\bpays? for itself\b", r"\b(?:reduc|increas|improv|cut|grow|lift|drop)(?:e|es|ed|ing)\b"
    r"[^.?!]{0,40}\b(?:by|from|to)\s+\$?\d", r"\bwhich means you\b", r"\bso that you(?:r)? (?:can|team|will)\b",
    r"\bthe (?:impact|outcome|result|benefit|value) (?:is|was|for you|of)\b", r"\bworth (?:it|more|\$)\b",
    r"\bbottom line\b", r"\bfewer (?:errors|no-shows|hours|mistakes|tickets)\b", r"\bhelps? you (?:hit|reach|grow|"
    r"save|cut|avoid|win)\b",
)
HEDGE = _rx(
    r"\b(?:maybe|perhaps|i (?:think|guess|suppose|believe|feel like)|probably|possibly|somewhat|sort of|kind of|"
    r"i'?m not (?:sure|certain)|it might|might be|could be|just wondering|i was (?:hoping|wondering)|"
    r"if that'?s (?:okay|alright|ok)|a (?:little|bit) |more or less|i'?d say)\b",
)
PRESSURE = _rx(
    r"\b(?:today only|final offer|take it or leave it|last chance|expires (?:today|tonight|tomorrow|friday|soon)|"
    r"limited time|you have no (?:choice|option)|you(?:'d| would) be (?:crazy|foolish|stupid)|don'?t miss|"
    r"before it'?s too late|you'?re making a (?:big )?mistake|decide (?:now|today|right now)|need (?:an|your) "
    r"answer (?:now|today|right now)|sign (?:now|today)|or (?:else|you'?ll regret)|you just have to|"
    r"you(?:'re| are) (?:in denial|wrong|being (?:stubborn|ridiculous|irresponsible))|"
    r"what(?:'s| is) wrong with you|you (?:need|have) to (?:stop|quit) (?:now|today|immediately)|"
    r"if you don'?t (?:stop|quit|change|cut down|sign|decide)\b[^.?!]{0,40}\byou(?:'re| are)? (?:going to|gonna|"
    r"will) (?:die|end up|lose|regret|be sorry|miss out))\b",
)
#: filled pauses count on their own; discourse fillers only as a set phrase
FILLER_TOKENS = re.compile(r"(?<![-\w])(?:um+|uh+|erm|er|ah+|hmm+|uhm)\b(?!-)", _F)
FILLER_PHRASES = re.compile(
    r"(?:\byou know\b(?!\s+(?:what|how|why|that|the|about|if|when|where|who))|\bi mean\b|\bbasically\b|"
    r"\bliterally\b|,\s*like,|\blike,\s|\bkind of like\b|\bsort of like\b)",
    _F,
)


def count_fillers(text: str) -> int:
    """Filled pauses (um, uh, er ...) and set-phrase fillers (you know, I mean, basically, ", like,")."""
    return len(FILLER_TOKENS.findall(text)) + len(FILLER_PHRASES.findall(text))
