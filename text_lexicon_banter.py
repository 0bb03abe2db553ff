"""Banter between friends: insults and "threats" traded in play. Hard-negative structures for
text_corpus.py: category -> subtype -> structure key -> template; data only, syntax in text_lexicon.py.

Moved here from text_lexicon_friendly.py so the subtype could grow without that file passing ~400 lines.
Ids are "hard_negative.banter.key" and decide the held-out split by hash: add keys, never rename them.
What keeps each sentence safe must be in it, not optional: the insult or "threat" is about something
trivial (being late, chips, a haircut, a game) and the friendship shows (a shared plan, "love you", "jk",
a rematch). The insult words are the harmful lexicons' own ({insult}, {mate_insult}, {looks_adj}...), so
a model can only learn the frame, not the word.
"""

BANTER_STRUCTURES = {
    "hard_negative": {
        # affectionate teasing between friends
        "banter": {
            "trash_love": "[You're|You are] [so bad|trash|terrible] at {game} lol, [love you though|rematch "
                          "tomorrow?|still my favourite teammate|I'll carry you again].",
            "shut_up": "[Oh shut up|Shut up], you [muppet|idiot|donut|weirdo] [haha|lol], you know I'm right"
                       "[, love you|].",
            "new_look": "[Nice haircut|Nice jumper|Love the new glasses] [lol|haha], [did your nan pick it|very "
                        "retro|you look like a professor], [jk it suits you|joking, looks good|nah it actually "
                        "suits you].",
            "nerd": "[You're|You are] such a nerd[ lol|], [that's why we're friends|never change|I love it].",
            "hate_you": "[I hate you|Hate you] [lol|haha], [that was so funny|you got me good|best prank ever|I "
                        "can't believe you did that].",
            "only_you": "Only you would [trip over nothing|forget your own birthday|lose your phone in your own "
                        "pocket][, {name}|][ lol|, love it|, never change].",
            "see_you": "[Shut up|Go away], [loser|weirdo|nerd], I'll see you [later|at practice|tomorrow|at "
                       "school] [haha|lol].",
            "worst": "[You're|You are] the worst[, {name}|] [lol|haha], [why did you tell them that|I can't "
                     "believe you ate my chips|I'm never trusting you with my phone again][, love you though|].",
            "carried": "[Thanks for nothing|Useless], you [died in the first minute|didn't even shoot once] [lol|"
                       "haha][, good thing I carried|, next time buddy|].",
            "nobody_asked": "Nobody asked[, {name}|] lol, [but go on then, tell me|love you though|that's why "
                            "you're my favourite].",
            "old": "Happy birthday[, {name}|], you [old man|old lady|dinosaur|grandad][ lol|, love you|]! [Can't "
                   "believe you're so old.|Have a great day.]",
            # trivial stakes, friendly markers: late, snacks, chips, haircuts, aim, singing, bets
            "late_again": "[You're late again|Late again|Where are you][, {name}|]? [We've been waiting ages|The "
                          "film's already started|Even my nan's faster than you], you {mate_insult}[ lol| haha|]. "
                          "[Hurry up, we saved you a seat.|Get here, I got you a drink.|Love you really.]",
            "forgot_snacks": "You [forgot the snacks|ate all the crisps|brought the wrong drinks|forgot the "
                             "controller] [again|][, {name}|], you absolute {mate_insult}[ lol|]. [You're buying "
                             "next time.|Film night's still on though.|I'm never trusting you with the shopping "
                             "again.|Lucky we love you.]",
            "kill_petty": "{i_will} kill you if you {petty:0} [again|one more time|][ lol| haha|, I'm not even "
                          "joking lol]. [Love you though.|You've been warned haha.|Don't test me.|Bestie or not.]",
            "dead_petty": "[You're dead|You're so dead|You're actually dead] if you {petty:0}[ again|][, {name}|]"
                          "[ lol| haha|]. [I'm watching you.|Don't even think about it.|Don't test me.|I mean it "
                          "this time haha.]",
            "who_did_that": "Which one of you {petty:1}? [Own up|Confess] [now|], I'm [gonna find you|coming for "
                            "you][ lol| haha]. [It was {name}, wasn't it?|I know it was you, {name}.|I'll get you "
                            "back at {game}.]",
            "haircut_roast": "[Who cut your hair|What happened to your hair|New haircut]? You look like "
                             "{compare_thing}[ lol| haha], [nah it's fire honestly|jk it really suits you|still "
                             "better than mine though|I'm joking, it looks good].",
            "aim_roast": "[Bro|Mate|{name}], your aim is [trash|shocking|a crime|tragic] [lol|haha][, we still won "
                         "though|, love you but wow|, rematch tomorrow, same squad|, good thing I carried].",
            "self_own": "I'm [so bad|actually trash|the worst|such a liability|so useless] at {game}[ lol|], "
                        "[sorry for throwing|carry me guys|why do you even let me play|you lot deserve better]. "
                        "[Same time tomorrow?|One more game?|I'll bring the snacks to make up for it.|]",
            "self_idiot": "I'm such [an idiot|a muppet|a clown|a numpty][ lol|], I [left my keys at yours|put salt "
                          "in my tea|walked into a glass door|forgot my own password|wore odd socks all day]. "
                          "[Don't tell anyone haha.|Laugh all you want.|Can you bring them to school tomorrow?]",
            "roast_night": "[We're roasting|Time to roast] {name:0} [tonight|on the call|for {name:3} birthday]"
                           "[ lol|], [{name:1} asked for it|{name:1} roasted us last week|it's tradition|bring "
                           "your best jokes][ haha|, {name:6} love it|].",
            "unlucky": "[Unlucky|Hard luck|Oof][, {name}|], you got [absolutely destroyed|bodied|humbled|cooked] "
                       "[lol|haha][, same time tomorrow?|, you'll get me next time|, I'll teach you my tricks|, "
                       "good game though].",
            "so_annoying": "You're so annoying[, {name}|] [lol|haha|], [good thing you're my best mate|I don't know "
                           "why I put up with you|love you really|see you at {place} {time}].",
            "who_invited": "Who invited [you|this clown|this muppet][ lol|]? [Jk, get in here.|Joking, we saved you "
                           "a seat.|Nah come in, we got you a drink.|Only joking, pull up a chair.]",
            "kick_from_chat": "[Kick|Remove|Someone kick] {name:0} from the group chat[ lol|], [{name:1} just sent "
                              "the worst meme|{name:5} spamming again|{name:1} spoiled {show} for everyone]. "
                              "[Joking, {name:1} can stay.|Kidding, we love {name:2}.|{name:1} can come back when "
                              "{name:5} sorry haha.]",
            "watch_back_game": "Watch your back [tonight|in ranked|on the next map|in the rematch][, {name}|]"
                               "[ lol|], [I've been practising all week|I'm coming for your high score|I've "
                               "unlocked the new gun|revenge is coming] [in {game}|haha|].",
            "dead_meat_game": "You're dead meat [in {game} tonight|at {game} later|in the rematch|on the next "
                              "map][, {name}|][ lol|]. [I've been practising.|Winner picks the film.|Loser buys "
                              "the pizza.]",
            "joking_right": "[I said your haircut was tragic|I called you a muppet|I said you're useless at "
                            "{game}|I said your singing was awful][, but|. But] you know I'm joking, right? "
                            "[You're my best mate.|You're actually really good.|I'd be lost without you.|Love you.]",
            "cry_about_it": "[Cry about it|Go on, cry about it|Stop crying][, {name}|][ lol|], you lost [fair and "
                            "square|the bet|to a year seven|on penalties]. [You owe me {food}.|Rematch on "
                            "Saturday?|I'll buy the chips anyway.]",
            "pay_up": "Pay up[, {name}|], you owe me [a fiver|a tenner|{food}|a Greggs] [lol|mate][, you lost the "
                      "bet|, {team} lost|, told you I'd win at {game}]. [Pay me at school.|I'll take it in "
                      "sweets.|Or I'm telling everyone how badly you lost haha.]",
            "menace": "[You're an absolute menace[, {name}|][ lol|], but you're my menace.|You're such an idiot"
                      "[, {name}|][ lol|], but you're my idiot.|You're the worst[, {name}|], but I'd be bored "
                      "without you.|You're a nightmare[ lol|], but I love you.]",
            "laugh_clown": "Stop making me laugh[, {name}|], [I'm in class|my mum's asleep|I just spat my drink "
                           "out|I'm meant to be revising][ lol|], you absolute {mate_insult}.",
            "cooking_roast": "Your cooking was [a crime|an actual disaster|so burnt|a war crime] [lol|haha], [but "
                             "thanks for having us|we still ate it all|do it again next week|you tried, chef].",
            "slap_play": "Do that again and I'll [slap you|smack you|throw my shoe at you|push you in the pool]"
                         "[ lol| haha], [you nearly made me spill my drink|that jump scare was evil|stop hiding "
                         "my controller|I actually screamed].",
            "nickname_hello": "[Morning|Alright|Oi|Hey], [big head|stinky|nerd|goblin|trouble|sleepyhead][ lol|], "
                              "[you coming to {place} {time}?|did you do the {subject} homework?|save me a seat "
                              "on the bus.|happy Friday.]",
            "reply_muppet": "Reply to me, you {mate_insult} [lol|haha], [are we still going to {place} {time}?|"
                            "what are you wearing to the party?|my mum's asking if you want dinner|the game's "
                            "starting].",
            "uninstall_jk": "[Uninstall|Just uninstall|Delete the game][, {name}|] [lol|haha], [nah jk, run it "
                            "back|joking, you were unlucky|jk, one more game|you were so close though].",
            "loser_plans": "[Bye|Later|See ya], [loser|nerd|weirdo|{mate_insult}][ lol|]. [See you at {place} "
                           "{time}.|Text me when you're home.|Don't forget the snacks tomorrow.|Same time tomorrow?]",
            "sing_roast": "Your singing is [so bad|a crime|actually painful][, {name}|][ lol|], [but don't stop, "
                          "it's the best part of the car journey|my ears are bleeding but keep going|do it again "
                          "at the party|you should audition anyway].",
            "outfit_roast": "[Bestie|Mate|Babe], that [outfit|selfie|haircut|caption] is [a choice|so cringe|"
                            "giving grandad] [lol|haha], [but you pull it off|but I'd still be seen with you|post "
                            "it anyway|I love you too much to lie].",
            "mock_fight": "[Fight me|Square up|Come here then][ lol|], you {petty:1}[ again|]. [Loser buys "
                          "lunch.|Jk, settle it at {game} instead.|Best of three.]",
            "touch_food": "Touch my [chips|pizza|last slice|sweets|noodles|nuggets|crisps] and [you're "
                          "dead|I'll kill you|I'll end you][ lol| haha|][, {name}|]. [Get your own.|I'm not "
                          "sharing this time.|I mean it, I'm starving.]",
            "murder_you": "I'm gonna [murder|kill|strangle] you[, {name}|] [lol|haha], [you {petty:1} again|you "
                          "told everyone about my haircut|you made me laugh in assembly|you spoiled {show} for "
                          "me]. [Still coming round later?|You're lucky I love you.|Rematch at {game} tonight.]",
            "kill_if_late": "[I swear I'll kill you|I'll actually kill you|You're dead] if you're late [again|"
                            "tomorrow][ lol|], [the film starts at seven|we're leaving at six|my mum's driving "
                            "us|the table's booked for eight]. [Love you.|Set an alarm.|See you there.]",
            # round two: short turns, harmful-lexicon insults in a friendly frame, roasts, mock threats,
            # sibling teasing and trash talk; the friendly frame (trivial stakes, a marker) is never optional
            "short_shut_up": "[Shut up|Shut it|Oh be quiet|Stop it|Stfu] you {mate_insult} [lol|haha|lmao|hahaha]"
                             "[, {love_marker}|].",
            "such_a_insult": "[You're|Ur|You are] [such|literally such|actually such] [a|an absolute] {insult} "
                             "[lol|haha|lmao], {love_marker}.",
            "kill_snack": "{i_will} kill you if you [eat|touch|nick|steal|even look at] my {snack} [haha|lol|lmao]"
                          "[, {bro}|].",
            "dead_if_late": "[You're dead|You're so dead|I'll kill you] if you're late [again|tomorrow|to my "
                            "party|to the match] [lol|haha][, {bro}|].",
            "end_you_game": "{i_will} [end|destroy|obliterate|humiliate] you [at|in] {game} [later|tonight|after "
                            "school] [lol|haha], [loser buys {food}|bring tissues|prepare to cry|get your excuses "
                            "ready].",
            "prematch": "[Hope you've been practising|Get your excuses ready|Warm up your crying voice][, {name}|],"
                        " I'm [gonna|about to] [destroy|wipe the floor with|humiliate|bury] you [in {game}|at "
                        "{sport}|in the five-a-side] {day}[ lol| haha]. [Loser buys {food}.|Winner gets bragging "
                        "rights.|May the best {mate_insult} win.|Handshake after, obviously.]",
            "roast_skill": "Your {roast_target:0} {roast_target:2} [genuinely|honestly|actually] [a crime|a danger "
                           "to the public|tragic|{ability_adj}|a disgrace][ lol| haha], [but I still love you|you "
                           "know I'm joking|still coming to yours later though|but keep going, it's funny].",
            "never_drive": "[Never|I'm never] letting you drive again[, {name}|] [lol|haha], [you nearly took out "
                           "a bin|you stalled four times|I saw my life flash before my eyes], [but thanks for the "
                           "lift|but you're still my favourite chauffeur|love you though].",
            "poison_food": "[Were you trying to kill us with that dinner|Your cooking nearly killed me|Are you "
                           "trying to poison us][, {name}|] [lol|haha]? [Jk it was nice.|Still ate it all though.|"
                           "Ten out of ten for effort, chef.]",
            "game_fail": "[{bro}|{name}], you [died to a chicken|fell off the map again|shot your own teammate|"
                         "walked straight into the storm] [lol|lmao], [how are you this bad|you're actually a "
                         "liability|I'm crying], [one more game though|run it back|still carrying you tomorrow].",
            "self_worst": "[I'm|Honestly I'm] [the worst|so useless|a walking disaster|such a {insult}|so "
                          "{ability_adj}] [lol|haha], I [failed my driving test again|burnt the toast|sent that to "
                          "the wrong group chat|fell up the stairs|called the teacher mum]. [Someone take my phone "
                          "away.|Why am I like this.|Laugh, it's fine.]",
            "self_looks": "[Don't look at me|Ignore my face|No photos], I look like {compare_thing} [today|in this "
                          "pic|after PE][ lol| haha], [I've had no sleep|my hair's a disaster|the wind got me].",
            "sibling_room": "[Get out of my room|Stop copying everything I say|Give me my charger back|Stop "
                            "singing], you little {mate_insult}[ lol|], [it's my turn on the Xbox|Mum said so|"
                            "I'll play with you after tea|I'm telling Mum].",
            "sibling_story": "My [little brother|little sister|big brother|big sister|twin] [ate my {food}|stole my "
                             "hoodie|told Mum I swore|hid my phone] again, [what a {mate_insult}|absolute "
                             "{mate_insult}|little gremlin][ lol|], [getting my revenge at {game} tonight|I'll get "
                             "them back|love them really].",
            "sibling_car": "[Mum|Dad], tell [him|her] to stop [singing|kicking my seat|breathing so loud|reading my "
                           "texts] or I'll [kill|murder|strangle] [him|her][ lol|], [I'm trying to watch {show}|"
                           "we've still got two hours in the car|I'm doing my homework].",
            "bet_owed": "You owe me [a fiver|a Greggs|{food}], you absolute {insult}[ lol| haha], I told you {team} "
                        "would [lose|win]. [Pay up at school.|Love you but pay up.|Don't cry about it.]",
            "love_but": "[I love you|Love you loads] but you're [such a|an absolute] {insult}[ lol| haha], [you "
                        "{petty:1} again|you've talked about {show} all week|you sent that to the wrong chat].",
            "photo_tease": "[Delete that photo|Who took this pic|Why did you post that] [lol|haha], I look "
                           "[like {compare_thing}|so {looks_adj}], [I'm getting you back|send me the good one|"
                           "you menace], [love you though|bestie|still coming round later].",
            "not_you_again": "[Ew|Urgh|Oh no], not you [again|joining|turning up][ lol|], [jk come in|jk we missed "
                             "you|jk you're the best], [grab a controller|sit down|the pizza's here].",
            "stay_mad": "[Die mad|Stay mad|Cope harder|Cry more] [lol|lmao|haha], [I won fair and square|you picked "
                        "the worst team|that was a clean goal], [rematch tomorrow?|gg though|love you].",
            "swot": "[Teacher's pet|Swot|Nerd alert] [lol|haha], you [finished the {subject} homework already|"
                    "actually enjoyed that test], [help me with it later?|proud of you really|I'm copying "
                    "your notes].",
            "spoil_show": "If you spoil {show} I swear [I'll never speak to you again|we're not friends anymore|"
                          "I'm blocking you][ lol| haha]. [I'm only on episode three.|Not a word.|I mean it haha.]",
            "late_penalty": "[Five minutes|Ten minutes] late and {i_will} [leave without you|eat your chips|tell "
                            "everyone your middle name][ lol| haha][, {name}|]. [Run.|Hurry up.|We're at {place}.]",
            "punch_prank": "I'm gonna [punch you|smack you|slap you|hit you with a pillow] [lol|haha], you [made "
                           "me laugh so hard I choked|scared the life out of me|told Mum about the cake|changed my "
                           "ringtone]! [Unreal.|Evil.|I'll get you back.]",
            "mic_tease": "[Mute your mic|Turn your mic down|Who's breathing so loud], you {mate_insult}[ lol| "
                         "haha], [I can hear you eating|your dog's barking again|you're echoing].",
            "who_threw": "[Which {mate_insult}|Who's the {insult} that] [just team killed me|threw the grenade at "
                         "our feet|left the door open][ lol|]? [It was you, {name}, wasn't it?|Own up.|I'm "
                         "crying.]",
            "birthday_insult": "Happy birthday, you [old|ugly|weird|smelly] {mate_insult}[ lol| haha]! [Love you "
                               "loads.|Drinks on me.|See you at {place} later.|Have the best day.]",
            "nickname_friend": "[Oi|Alright|Morning], {mock_nickname}[ lol| haha], [coming to {place} {time}?|save "
                               "me a seat|did you bring the ball?|you're my best mate, you know that?]",
            "roast_each_other": "We were [roasting|all roasting] {name:0} [in the group chat|on the call] [about "
                                "{name:3} {roast_target:0}|for {name:3} haircut][ lol|], [{name:5} roasting us "
                                "back|{name:1} started it|{name:1} loves it honestly], [you should've heard it|"
                                "come join|it's tradition].",
            "smell_gym": "[You stink|Ew, you smell] [after football|after the gym|like PE] [lol|haha], [shower "
                         "before you get in my car|sit in the back|I'm still buying you chips though].",
            "hurry_insult": "[Hurry up|Come on|Get online], you {insult_adj} {mate_insult}[ lol| haha], [the lobby's "
                            "waiting|we're all on|{name} saved you a spot].",
            "banned_from": "You're banned from [karaoke|choosing the music|the aux|picking the film|the kitchen] "
                           "[for life|forever|till Christmas][, {name}|][ lol| haha], [never again|my ears are "
                           "still ringing|that film was two hours of nothing].",
            "how_dare": "How dare you [beat me at {game}|take the last slice|pick my character|score on me][ lol|"
                        "], [friendship over, see you tomorrow|I'm disowning you, jk|we're not friends anymore, "
                        "kidding].",
            "old_photo": "Found your [baby photos|year seven photo|old school picture] [lol|haha], you looked like "
                         "{compare_thing}, [I'm setting it as your contact pic|I'm keeping this forever|adorable "
                         "though].",
            "still_duo": "You're [useless|hopeless|a disaster|{ability_adj}] at {game}[, {name}|] [lol|haha|mate], "
                         "[but I'd still pick you first|good thing you're funny|still my duo], [same time "
                         "tomorrow?|queue up again|I'll carry].",
            "got_me": "[Ok|Okay|Right] I'm actually gonna kill you [lol|haha|lmao], [that was so funny|you got me|"
                      "I fell for it], [well played|respect|I'm getting you back].",
            "head_in": "You [drive me mad|do my head in|are so irritating][, {name}|] [lol|haha], [but who else "
                       "would I go to {place} with|but I've got your birthday present|but you're still coming "
                       "round {time} right?].",
        },
    },
}

# Slots only banter uses, merged into text_lexicon.LEXICON (held out by hash like every LEXICON entry).
BANTER_LEXICON = {
    # a skill or thing a friend roasts: the noun, the words that agree with it, the verb "is/are"
    "roast_target": ["driving/it's/is", "cooking/it's/is", "dance moves/they're/are", "parallel parking/it's/is",
                     "penalties/they're/are", "handwriting/it's/is", "taste in music/it's/is",
                     "fashion sense/it's/is", "rapping/it's/is", "karaoke/it's/is", "map reading/it's/is",
                     "goalkeeping/it's/is", "banana bread/it's/is", "free kicks/they're/are", "jokes/they're/are",
                     "excuses/they're/are", "timekeeping/it's/is", "singing voice/it's/is", "aim/it's/is",
                     "dad jokes/they're/are", "TikTok dances/they're/are", "spelling/it's/is",
                     "game sense/it's/is", "bowling/it's/is", "chat-up lines/they're/are"],
    "snack": ["fries", "chips", "last nugget", "pizza", "Haribo", "crisps", "sweets", "last slice", "cookies",
              "noodles", "Maltesers", "popcorn", "chicken wings", "garlic bread", "Pringles", "doughnut",
              "chocolate", "milkshake"],
    "love_marker": ["love you", "love you really", "jk", "only joking", "you know I love you", "no hard feelings",
                    "still my favourite person", "you're still my best mate", "kidding", "I'm messing",
                    "love ya", "I'd be lost without you", "mwah", "bestie for life"],
}
# How friends address each other: function phrasing shared by both splits, like PHRASES ("bro" and "mate"
# are paraphrase and spoken-tag words, so holding them out would leak through the noise anyway).
BANTER_PHRASES = {
    "bro": ["bro", "mate", "bestie", "dude", "fam", "my guy", "man", "bruv", "pal", "buddy"],
}
