"""Everyday talk in the frames of harm: "I'll call you tomorrow" beside "I'll hurt you tomorrow".
Safe structures for text_corpus.py: category -> subtype -> structure key -> template; data only, syntax
in text_lexicon.py.

Why: threats, harassment, bullying and grooming are each said in a few sentence shapes ("I'm going
to ... you after school", "send me a pic of ...", "you're so ...", "don't tell your mum"), and the
safe side had few sentences of those shapes. A model trained so learns the shape: it flagged "I'm
gonna call you tomorrow" (0.99), "I'm going to help you after school" (1.00) and "you better bring a
jacket" (0.99). Here the shapes carry ordinary meaning, so only the words that carry harm can decide.
Nothing here may be menacing, sexual or insulting, even as a joke: banter is text_lexicon_banter.py's.

Ids are "everyday.subtype.key" and decide the held-out split by hash: add keys, never rename them.
"""

FRAMES_STRUCTURES = {
    "everyday": {
        # what the speaker will do for or with the listener: the threat's "I will ... you <when>"
        "promises": {
            "will_do": "[{i_will}|{i_will} actually|Swear down, {i_will}] {kind_act}[ {kind_when}|]"
                       "[, I promise you| and that's a promise|, I mean it|, no excuses this time|].",
            "oath": "[I promise you|Mark my words|I swear on my life|Swear down], {i_will} {kind_act} "
                    "{kind_when}[, {name}|]. [Nobody's gonna stop me.|Hold me to it.|That's not a joke.]",
            "not_joking": "I'm not joking[, {name}|], {i_will} {kind_act} [{kind_when}|{time}]. [Don't laugh, I "
                          "mean it.|Ask anyone, I do what I say.|Screenshot this if you want.]",
            "coming_round": "[I'm coming round|I'm coming to yours|I'm on my way to your house] [tonight|right "
                            "now|later][, {name}|], and when I get there {i_will} {kind_act}.",
            "coming_for_you": "[I'm coming for you|I'm coming to get you|We're coming to pick you up|Dad's "
                              "coming to get you] {time}[, so be ready|, wait by the door|, don't forget your "
                              "{object}|, and bring your {object}].",
            "next_time": "[Next time I see you|When I see you|Tomorrow|When I catch you at {place}] I'm "
                         "[bringing your {object} back|bringing the cake|bringing my new puppy|bringing the "
                         "board game|not coming alone, my cousin wants to meet you][, {name}|].",
            "know_where": "I know where you [live|sit in {subject}|go to school|keep the spare key], [so|and] "
                          "{i_will} [drop your {object} round|bring your {object} over|post the invite through "
                          "your door|leave the parcel there] {time}.",
            "meet_group": "[Me and the boys|Me and my mates|Me and my sisters|A few of us] are {gonna} [meet "
                          "you|wait for you|surprise you|pick you up] [outside|near|round the back of] {place} "
                          "{time}[, bring your {object}|, don't be late|, you're gonna love it|].",
            "hands_on": "[Wait till I get my hands on|When I get hold of|Once I get] [the new {game} update|your "
                        "charger|the tickets|the keys][, {name}|], {i_will} {kind_act}.",
            "wont_see": "[{you_will} never guess|You won't believe|{you_will} love] what I'm [bringing|making|"
                        "getting] you {time}[, {name}|][, just wait|, it's a surprise|].",
            "make_you": "{i_will} make you [a cup of tea|some toast|a playlist|a birthday card|pancakes|a "
                        "proper dinner|a sandwich|laugh so hard] [{kind_when}|{time}][, {name}|].",
            "get_you": "[I'm gonna get you|I'll get you|I'll grab you] [a drink|a seat|a ticket|a slice|a "
                       "copy of the notes][, {name}|], [what do you want?|save me one too.|just wait there.]",
            "after_school": "[You and me|Me and you], [after school|{time}|at {place}]. [{i_will} {kind_act}.|"
                            "Bring whoever you want, there's loads of room.|Don't be late, the film starts at "
                            "six.|{i_will} finally teach you that trick.]",
        },
        # asking the listener for things: harassment's and grooming's "send me", "what's your", "don't tell"
        "asks": {
            "send_pic": "[Send me a pic of|Can you send me a photo of|Send a pic of|Show me] [your {pet}|your "
                        "new {object}|the {subject} homework|your drawing|the bug on your screen|your cake|the "
                        "view from your window|your score][, {name}|][, please|, I need to see it|, quick|].",
            "address": "[What's your address|Where do you live again|What's your postcode][, {name}|]? [My "
                       "{parent} is sending out the party invites.|I'm posting your birthday card.|For the "
                       "delivery of the class hoodies.|So my {parent} can drop you home.]",
            "keep_messaging": "I've [messaged you|called you|texted you] [five times|all day|twice] about "
                              "[the match|practice|the homework|the trip|your {object}][, {name}|], [answer "
                              "when you can|did you get them?|is your phone dead again?].",
            "dont_tell": "Don't tell [your sister|your {parent}|{name}|anyone] yet, [it's her surprise party|"
                         "we're getting her a present|it's a surprise for {day}|I want to tell them myself]"
                         "[, okay?|!|].",
            "other_app": "[Let's move to|Come on|Can we switch to] [Discord|the group chat|WhatsApp|a call], "
                         "[the lobby's too laggy|this chat keeps crashing|the whole team's there|it's easier "
                         "to plan the trip].",
            "how_old": "[How old are you|What year are you in|What school do you go to][, {name}|]? [The "
                       "tournament has age groups.|The form asks for it.|My brother might be in your class.|"
                       "For the team sheet.]",
            "you_better": "[You better|You'd better|Make sure you] [bring a jacket|charge your {object}|do "
                          "your {subject} homework|be ready by six|text me when you're home|save me a seat] "
                          "[, {name}|][, it's freezing out|, or we'll miss the bus|, the teacher's checking|].",
            "what_wearing": "What are you wearing [to the party|for the match|on the trip|for the photos]"
                            "[, {name}|]? [I don't want us to match.|Is it fancy dress?|The kit or normal "
                            "clothes?]",
            "alone": "[Are you home alone|Is anyone home with you|Are your parents in] [tonight|right now|"
                     "later][, {name}|]? [My {parent} wants to know if you need a lift.|Mum's asking "
                     "if you want to come for tea.|My {parent} says you can stay at ours till yours get back.]",
            "where_are_you": "[Where are you|Where are you now|Are you still at {place}][, {name}|]? [We're all "
                             "waiting.|The bus is here.|I've got your {object}.]",
            "keep_secret": "[Can you keep a secret|Promise you won't tell][, {name}|]? [I got into the team!|"
                           "I'm getting a puppy!|I passed my driving test!|We're moving to your street!]",
        },
        # what is said of the listener, or to them: bullying's "you're so ...", "nobody wants you"
        "kind_words": {
            "youre_so": "[You're|You are|Honestly you're] so [kind|funny|clever|brave|fast|talented|good at "
                        "{game}|good at {subject}|patient with everyone][, {name}|][, everyone says it|, I mean "
                        "it|, don't let anyone tell you otherwise|].",
            "everyone_thinks": "[Everyone|The whole class|Literally everyone|Every single person] [thinks|says|knows] "
                               "you're [the best at {game}|really nice|so funny|a great captain|the nicest "
                               "person here][, {name}|].",
            "look_at": "[Look at|Have you seen] [your|{name}'s] [new haircut|new trainers|drawing|goal|outfit], "
                       "[it's so cool|it's amazing|that's class|I love it].",
            "join_us": "[You can|You should|Come and] [sit with us|join our team|play with us|come to the "
                       "party|be in our group][, {name}|][, there's loads of room|, we saved you a spot|, "
                       "everyone wants you there|].",
            "nobody_else": "[Nobody else|No one else] [could have done that|scored like that|got that right|"
                           "made me laugh that much][, {name}|][, that was amazing|, well done|].",
            "tell_everyone": "[I'm gonna tell everyone|I'm telling the whole class|Wait till everyone hears] "
                             "[how you won|about your goal|what you made|how well you did][, {name}|].",
            "post_it": "[I'm posting|I'm gonna post|Can I post] [the video of your goal|your drawing|the photo "
                       "of us|your song] [in the group chat|on the class page|on my story][, it's so good|, "
                       "everyone needs to see it|, if that's okay|].",
            "praise_thing": "[Your laugh|Your drawing|Your song|Your cake] is [so nice|the best|amazing|so "
                          "cool][, {name}|], [sing something|do it again|teach me|keep going].",
            "cant_believe": "I can't believe [you did that|how fast you are|you finished it already|you got "
                            "full marks][, {name}|]! [You're a legend.|Teach me your ways.|So proud of you.]",
        },
    },
}

FRAMES_LEXICON = {
    # things a friend or family member does for the listener, in the object slot where harm_act goes
    "kind_act": ["call you", "text you", "help you with your homework", "pick you up", "ring you back",
                 "teach you the combo", "lend you my {object}", "bring you a plate", "make you a sandwich",
                 "save you a seat", "show you the photos", "send you the notes", "give you your {object} back",
                 "carry you in {game}", "invite you to the party", "add you to the group chat",
                 "meet you at {place}", "wait for you at {place}", "message you later", "cheer you on",
                 "make you a playlist", "bake you a cake", "fix your {object}", "explain it to you",
                 "swap cards with you", "drive you to practice", "sign you up for the team",
                 "read you the rules", "wake you up for the match", "thank you properly",
                 "come and watch you play", "split the pizza with you", "help you tidy your room",
                 "walk the dog with you", "teach you to skate", "email you the link", "share my chips with you",
                 "bring your {object} round", "join you in the lobby"],
    # when that happens; the threat's "when I see you", "after school" and "on your way home" are here
    # too, so they decide nothing; the sinister ones ("when nobody's around") are not
    "kind_when": ["when I see you", "next time I see you", "after school", "on your way home",
                  "before the week's out", "the second I get home", "first thing tomorrow", "at break tomorrow",
                  "after your practice", "when you're back", "after dinner", "before the match",
                  "as soon as I'm off the bus", "once I've finished my homework", "after the game"],
}
