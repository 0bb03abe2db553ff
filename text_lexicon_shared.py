"""Everyday talk in the words harm also uses. Safe structures for text_corpus.py: category -> subtype ->
structure key -> template; data only, syntax in text_lexicon.py.

A shortcut audit (`python text_corpus.py --audit`, text_corpus.one_sided_phrases) found everyday
phrasing that the other grammars said only in harmful sentences: "text me when you get home", "you're
my best friend", "her name is", "tell me about", "I can see you're online", "make sure you", "help
you", "your family" came only from grooming and threats, so a model learns them as harm. Here they
are said in talk a moderator would pass (everyday.shared_phrases; hard_negative.caring_words, care
between friends and family). What keeps each sentence safe is in it.

The other direction ("lol", "haha", "love you", "can't wait" said only in safe talk) is left alone:
harmful structures in that light register made the model flag more banter (docs/insights.md).

Ids are "category.subtype.key" and decide the held-out split by hash: add keys, never rename them.
"""

SHARED_STRUCTURES = {
    "everyday": {
        "shared_phrases": {
            "text_home": "[Text me|Message me|Ring me|Send me a message] when you get home[, {name}|][ so I know "
                         "you got back okay| safe| from {place}|], [it's dark already|the roads are icy|my {parent} "
                         "asked me to check|]",
            "meet_me": "[Meet me|Meet us|I'll meet you] [by the entrance of|outside] {place} {time}[, {name}|], "
                       "[I'll bring {food}|{name}'s coming too|then we'll head to the cinema together|we can walk "
                       "to school together|my {parent} is driving us back].",
            "best_friend": "[You're my best friend|You're literally my best mate|Best friends forever][, {name}|]"
                           "[ lol|], [I'm so glad you sat next to me in {subject}|thanks for sticking up for me "
                           "today|nobody else gets my jokes|happy birthday!]",
            "name_is": "[We adopted a {pet}|Our new neighbours moved in|A new coach started at football|There's a "
                       "new kid in our class|My {relative} got a {pet}], {p:2} name is {name}[, so cute|, "
                       "{p:4} really nice|, you'd love {p:1}|].",
            "have_you_been": "[Where have you been|What have you been up to|How have you been since the move]"
                             "[, {name}|]? [I haven't seen you at football for weeks.|We missed you at the "
                             "party.|Tell me everything.|The group's been so quiet.]",
            "tell_me_about": "Tell me about [your holiday|the match|your new school|the film|your trip to {place}]"
                             "[, {name}|][, was it good?|, I want to hear everything|, did you win?|].",
            "i_can_see": "[I can see you're online|I see you're on|I see you're in the lobby][, {name}|], [want to "
                         "play {game}?|join us, we need a fourth|did you finish the homework?|are you coming to "
                         "{place} later?]",
            "you_could": "You could [be a chef|be a singer|go pro|be a teacher|sell those] one day[, {name}|], "
                         "[your {food} was amazing|your voice is so good|you're so good at {game}|you're so patient "
                         "with the little ones|your drawings are brilliant].",
            "pick_you_up": "[My {parent} will pick you up|I'll pick you up|We'll pick you up] [at six|after "
                           "practice|from the station|from school] [for the party|for the match|on the way to "
                           "{place}][, your {parent} said it's fine|, text me if you're running late|].",
            "dont_tell": "[Don't tell {name}|Don't tell your {relative}|Don't tell anyone] [about the surprise "
                         "party|what we got for {name}'s birthday|who won the bake off|the ending of the film]"
                         "[, it's a surprise|, it'll ruin it|, they're gonna love it]!",
            "what_you": "[I loved what you did with|That's so cool what you did with|I can't believe what you "
                        "did with] [your hair|the cake|your room|that drawing|the last level][, {name}|][, how?|, "
                        "teach me|].",
            "where_you_live": "[What's the weather like|Is it snowing|Is it raining|Are the shops open] where "
                              "you live[, {name}|]? [It's freezing here.|We've had sun all day.|Ours shut at five.]",
            "next_time": "Next time you [come round|come over|stay at mine][, {name}|], [bring your {game} "
                         "controller|we'll make {food}|my {parent} says we can camp in the garden|remember your "
                         "charger].",
            "make_sure": "Make sure you [bring your kit|charge your headset|bring a coat|eat something before "
                         "the match|bring your PE bag] {time}[, {name}|][, it's gonna be freezing|, coach said|].",
            "you_sound": "You sound [tired|like a robot|really far away|like you've got a cold][, {name}|], [your "
                         "mic is breaking up|get some sleep|hope you feel better|move closer to the wifi].",
            "looks_like": "[It looks like|Looks like] [it's gonna rain|the match is off|the bus is running "
                          "late|the servers are down] {time}[, {name}|], [shall we just play {game} instead?|bring "
                          "an umbrella|I'll check later].",
            "cant_stop": "I can't stop [laughing at that video|playing {game}|eating these crisps|listening to that "
                         "song][ lol|, send help|, it's so good].",
            "keep_talking": "Keep talking[, {name}|], [I'm listening, I'm just cooking|we can hear you now|your mic "
                            "works again], [so what happened at {place}?|what did your {parent} say?|go on]",
            "watch_me": "[Watch me|Watch this][, {name}|], [I learned a new trick on my board|I can do a "
                        "kickflip now|I'm gonna beat my high score|I finally got the combo].",
            "i_know_you": "I know you [love {food}|hate horror films|are nervous about the test|miss your {relative}]"
                          "[, {name}|], [so I saved you some|so we'll watch something else|you'll be fine|call "
                          "them tonight].",
            "catch_you": "[Catch you later|I'll catch you at {place}|Catch you {time}][, {name}|][, going for "
                         "dinner now|, bring the ball|].",
            "grown_up": "[You're so grown up now|You've grown so much][, {name}|], [your {relative} won't "
                        "recognise you|I remember when you were tiny|look at you in your new uniform].",
            "home_check": "[Let me know|Message the group] when you're home[, {name}|], [my {parent} wants to know "
                          "you got back okay|you left your {object} here|so I know the bus came].",
            "so_proud": "[So proud of you|I'm so proud of you][, {name}|][ lol|], [you passed your driving "
                        "test|you scored the winner|you finally finished the level|the concert was amazing].",
            "how_many": "How many [people are coming|pizzas should we order|tickets do we need|laps are we "
                        "running] {time}[, {name}|]? [I need to tell my {parent}.|I'll book them now.|]",
        },
    },
    "hard_negative": {
        # care and closeness between friends and family, in the words grooming also uses
        "caring_words": {
            "only_one": "[Am I the only one who [finds this level hard|thinks the new update is worse|forgot "
                        "the homework|is still awake]|Is it just me or is this level really hard]? [lol|haha|Help.]",
            "here_for_you": "[I'm always here for you|You can always talk to me|I'm here if you need me][, "
                            "{name}|], [you know that|that's what best friends are for|and so is your {parent}|and "
                            "you should tell your {parent} too].",
            "our_secret": "[Keep it our secret|Don't tell {parent} yet|It's our little secret] till [Sunday|the "
                          "party|the weekend], [we're planning a surprise for {parent}|the cake's hidden in the "
                          "garage|{name} is organising everything].",
            "miss_you": "[I miss you so much|Missing you loads][, {name}|], [can't wait for you to come home from "
                        "uni|come back from your trip soon|the house is so quiet without you], love {parent}.",
            "proud_of_you": "[I'm so proud of you|We're all so proud of you][, {name}|], [you worked so hard for "
                            "that exam|your {relative} cried at the concert|your {parent} told everyone].",
            "get_home_safe": "[Get home safe|Let me know you got home okay|Text when you're back][, {name}|], "
                             "[it was so good to see you|thanks for coming to the party|love you].",
            "on_my_way": "[I'm on my way to your house|I'm coming round|Coming to yours] [now|at six|after "
                         "tea][, {name}|], [got the snacks|your {parent} invited me for dinner|we're doing the "
                         "project].",
            "talk_to_me": "[Talk to me|You can tell me][, {name}|], [what's wrong? you've been quiet all day|is "
                          "it the exam?|did something happen at school? we can tell {parent} together].",
            "help_you": "[I can help you with|Want help with|I'll help you with] [your maths homework|the "
                        "project|your lines for the play|setting up your new phone] {time}[, {name}|], [your "
                        "{parent} asked me to|bring your book|no problem].",
            "your_family": "Say hi to your family from me[, {name}|]! [Thanks for having me for dinner.|Your "
                           "{parent}'s {food} was amazing.|See you all at the barbecue.]",
        },
    },
}
