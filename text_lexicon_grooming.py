"""Grooming structures for text_corpus.py: an adult or much older person manipulating a child.
category -> subtype -> structure key -> template; data only, syntax in text_lexicon.py.

Ids are "grooming.subtype.key" and decide the held-out split by hash: add keys, never rename them.
Every sentence carries a cue a moderator would act on (the speaker's age, secrecy from parents, a
private channel, photos, meeting), so an innocent first clause never stands alone. Non-graphic.
"""

GROOMING_STRUCTURES = {
    # an adult or much older person manipulating a child
    "grooming": {
        "trust_building": {
            "tell_anything": "You can [tell me anything|always talk to me|trust me with anything][, {name}|]. "
                             "[I'm not like the other adults, I won't tell your {parent}.|I'd never tell your "
                             "{parent}.|Your {parent} never listens, but I do.|Just keep our chats between us.]",
            "understand": "Your {parent} [doesn't understand you like I do|treats you like a little kid|never "
                          "listens to you][, {name}|]. [That's why you can always come to me.|I'm always here for "
                          "you, day or night.|You can talk to me instead, just don't tell anyone.]",
            "age_number": "Age is just a number[, {name}|]. [We get each other.|You're more grown up than people "
                          "think.|Don't let your {parent} tell you otherwise.]",
            "only_one": "I'm the only one who [really gets you|really cares about you|takes you seriously|knows "
                        "the real you][, {name}|]. [Not your {parent}, not your friends.|Your friends at school "
                        "are just kids.|Remember that when your {parent} is being unfair.]",
            "older_friend": "It's nice having an older friend [who gets you|to talk to|who listens], isn't it? "
                            "[Your friends at school are so immature.|Just don't tell your {parent} about me, "
                            "they'd be weird about it.|Grown-ups like me understand you better than kids your "
                            "age.]",
            "how_old": "[How old are you [again|really]? [{age_child}?|]|What year are you in? [Year eight?|Year "
                       "seven?|]] [That's fine, I don't mind.|You seem so much older.|Age doesn't "
                       "matter to me.|Don't worry, I won't tell anyone.]",
            "problems": "Tell me about [the problems at home|what's going on with your {parent}|the arguments at "
                        "home][, {name}|]. I'm the only one who [really listens|actually cares]. [We can talk "
                        "late when everyone's asleep.|Don't tell anyone we talk though.|Your {parent} doesn't "
                        "need to know.]",
            "bad_day": "[Had a bad day|Rough day at school][, {name}|]? [Aw, come here.|I'm here for you.|Poor "
                       "thing.] [You can always message me at night when your {parent} is asleep.|You don't need "
                       "anyone else, you've got me.|I'll always be here, unlike your friends.]",
            "mentor": "I've [helped|coached|looked after] loads of kids your age [with {game}|online|with their "
                      "problems][, {name}|]. [They all trusted me, and you can too.|We just keep it between us, "
                      "that's how it works.|Your {parent} doesn't need to know, they'd only worry.]",
        },
        "flattery": {
            "mature": "You're so mature for your age[, {name}|][. Not like the other kids in your class.|. I "
                      "forget you're only {age_child}.|. I can talk to you like an adult.|. The boys your age "
                      "don't deserve you.|].",
            "pretty_for_age": "You're [so pretty|really beautiful|so cute|gorgeous] for a {age_child} year old"
                              "[, {name}|]. [Has anyone told you that?|Your {parent} should let you wear makeup.|"
                              "I bet all the boys like you.]",
            "model": "You could [be a model|be famous|be an influencer][, honestly|, {name}|]. [Send me some "
                     "pics and I'll show my friend, he's a photographer.|I can help you, but keep it between us.|"
                     "I know people, just send me a few photos.]",
            "special": "You're [really special|different from other kids|so much more grown up than other kids]"
                       "[ to me|][, {name}|]. [I've never talked to anyone your age like this.|I don't talk to "
                       "anyone else like this, so keep it between us.|That's why I like talking to you more than "
                       "adults.]",
            "older_look": "You look [way|so much] older than {age_child} in your [pics|profile picture|photos]"
                          "[, {name}|]. [I'd never have guessed.|Bet the boys at school are all over you.|Send me "
                          "some more.]",
            "smarter": "You're [smarter|more grown up|more mature] than [most adults I know|your parents|your "
                       "teachers][, {name}|]. [They don't deserve you.|That's why we get on.|They just don't "
                       "see it like I do.]",
            "gamer": "You're [honestly|] the best {game} player I've ever met for your age[, {name}|]. [Add me "
                     "on {app} and I'll coach you, just us.|We should play together every night, I'll get you "
                     "{gift}.|Don't tell your {parent} we play together though, they'd ruin it.]",
            "voice_cute": "Your voice is [so cute|adorable|really sweet] on the mic[, {name}|]. [How old are "
                          "you?|Turn your camera on so I can see you too.|Bet you look as cute as you sound, send "
                          "a pic.]",
            "short": "[You're so mature for your age.|You're not like other kids your age.|You seem so grown up "
                     "for {age_child}.|You're too grown up for kids your age.]",
            "favourite": "[You're my favourite|You're my best friend|I like you more than anyone] [in this "
                         "server|online|out of everyone][, {name}|]. [Even though you're only {age_child}.|Don't "
                         "tell the others I said that.|That's our secret.]",
        },
        "gifts": {
            "if_you": "I'll [send you|get you|buy you] {gift} if you [send me a [pic|selfie|photo]|add me on "
                      "{app}|keep this between us|turn your camera on|promise not to tell your {parent}]"
                      "[, {name}|].",
            "address": "[What's your address|Where do you live]? I want to send you {gift}[, don't tell your "
                       "{parent} it's from me|, it'll be our secret|, just between us].",
            "code": "Here's a code for {currency}[, {name}|]. [Don't tell your {parent} where you got it.|"
                    "There's more where that came from if you're good to me.|Now you owe me a pic.|Remember, "
                    "it's our secret.]",
            "phone": "I can get you [a new phone|a secret phone|a tablet] so your {parent} can't [see our chats|"
                     "check your messages|take it off you][. Just don't tell them.|, want one?|, they'd never "
                     "know.]",
            "earn": "You can earn {currency} [if you do something for me|by being nice to me|if you show me you "
                    "trust me|if you send me a few pics][, {name}|].",
            "spoil": "I love spoiling you[, {name}|]. [Did you like what I sent you?|That's why I sent you "
                     "{gift}.] [Now "
                     "it's your turn to do something for me.|You owe me one now.|Remember, not a word to anyone.]",
            "top_up": "I'll top up your [account|{game} account|wallet] with {currency} [every week|tonight|"
                      "whenever you want][, just keep talking to me and don't tell your {parent}|, as long as it "
                      "stays our secret|, if you send me something back].",
            "cant_afford": "Your {parent} can't afford [a new phone|the stuff you want|a PS5|nice things], but I "
                           "can[, {name}|]. [Just keep it between us.|Don't tell them I bought it.|All you have "
                           "to do is trust me.]",
            "fair_trade": "[I bought you|I got you|I've sent you] {gift}[, {name}|], so [the least you can do is|"
                          "it's only fair you|now you have to] send me a [pic|selfie|video] back.",
            "short": "[Want {currency}? Just don't tell your {parent}.|I'll get you {gift}, our secret.|Free "
                     "{currency} if you add me on {app}, {name}.]",
            "delivery": "I'll [post|send] {gift} to your house, [just make sure you get to the door before your "
                        "{parent} does|but tell your {parent} you won it|just say a friend from school sent it].",
        },
        "secrecy": {
            "little_secret": "[This is|Our chats are|What we talk about is] [our little secret|just between us|"
                             "our secret][, okay?|, {name}.|.] [Your {parent} wouldn't understand.|Don't tell "
                             "anyone.|Promise me.|Grown-ups would just get the wrong idea.]",
            "dont_tell": "Don't tell your {parent} [about me|that we talk|about our chats|I sent you that|about "
                         "the gifts][, {name}|], [they'll stop you talking to me|they'll take your phone away|"
                         "they'll get the wrong idea|they'll ruin everything].",
            "if_you_tell": "If you tell anyone about us, [we can't be friends anymore|you'll get in big trouble "
                           "too|they'll blame you, not me|I'll be really upset with you|your {parent} will be so "
                           "angry with you].",
            "promise": "Promise you won't tell anyone [about me|what we talk about|about our chats][, {name}|]? "
                       "[Good.|Good girl.|Good boy.] [I knew I could trust you.|That's what makes you special.|"
                       "That's why you're my favourite.]",
            "cover_story": "If your {parent} asks, [say|tell them] [you're talking to a friend from school|I'm "
                           "someone from your class|you're doing homework|I'm your cousin|you're just playing "
                           "{game}].",
            "nobody_needs": "Nobody [needs to|has to] know about [us|our chats|this|what we talk about][, {name}|]"
                            ". [It's more special that way.|Grown-ups just overreact.|Especially not your "
                            "{parent}.]",
            "lie": "[Just lie to your {parent}|Tell your {parent} a little white lie] [about where you're going|"
                   "about who you're talking to|about the messages][, {name}|][, they don't need to know "
                   "everything|, it's for us|].",
            "code_word": "If your {parent} [comes in|is nearby|walks in], [just type brb|say you're doing "
                         "homework] and [close the app|I'll stop messaging|delete the chat].",
            "short": "[Don't tell your {parent} about us.|Our chats stay secret, okay?|Nobody can know we talk, "
                     "{name}.|Don't tell anyone I'm a grown-up.|Don't tell your {parent} I'm older.]",
            "secret_ask": "{secret_ask}[, {name}|]. [Your {parent} wouldn't understand us.|Grown-ups ruin "
                          "everything.|If they found out, they'd take you away from me.|Especially not your "
                          "{parent}.]",
        },
        "isolation": {
            "friends_bad": "Your friends [don't really care about you|are just using you|are so immature|talk "
                           "about you behind your back][, {name}|]. [You don't need them, you've got me.|I'm the "
                           "only one you can trust.|Stop wasting your time on them and talk to me.]",
            "parents_strict": "Your {parent} [is way too strict|doesn't get you|treats you like a baby|doesn't "
                              "deserve you][, {name}|]. [You'd be happier talking to me.|Don't listen to them, "
                              "listen to me.|You should stop telling them stuff.|I'd never treat you like that.]",
            "stop_telling": "[Stop|Don't bother] [telling your {parent} stuff|hanging out with those girls|"
                            "talking to your friends about me|going to that club]. [They'll just try to split us "
                            "up.|I'm all you need.|They're jealous of us.]",
            "nobody_else": "[Nobody|No one] [understands you|loves you|cares about you|gets you] like I do"
                           "[, {name}|]. [Everyone else will let you down.|Just come to me.|Not your {parent}, "
                           "not your friends, just me.]",
            "jealous": "[Your friends are|Your sister is|Your {parent} is] just jealous of [us|what we have]"
                       "[, {name}|]. [Stop talking to them.|Don't let them ruin this.|You don't need them.]",
            "skip": "[Skip|Don't go to] [the party|practice|your friend's sleepover|the family dinner] and [stay "
                    "online with me|talk to me instead][, {name}|][, they won't miss you|, I'll make it worth it|"
                    ", I'll get you {gift}|].",
            "run_away": "[If home is that bad|If your {parent} is that mean], you could [come and stay with me|"
                        "run away to mine|live with me][, {name}|]. [I'd look after you.|Nobody would have to "
                        "know.|Don't tell anyone, just pack a bag.]",
            "teachers": "Don't [talk to|tell] [your teachers|the school counsellor|your friends] about [us|me|our "
                        "chats][, {name}|]. [They'll twist it.|They'll just make trouble.|They wouldn't "
                        "understand what we have.]",
        },
        # move to a more private app, hide or delete the chat
        "private_channel": {
            "move_app": "Let's [move this chat to {app}|talk on {app} instead|carry on over on {app}][, {name}|]. "
                        "[It's more private.|"
                        "Your {parent} won't check it there.|The mods here are too nosy.|Nobody can see what we "
                        "say there.]",
            "delete": "[Delete|Clear] [our messages|this chat|our chats|my messages] [after you read them|every "
                      "night|before your {parent} checks your phone][, okay?|, {name}.|.] [Your {parent} wouldn't "
                      "understand.|Nobody can know we talk.|It's safer for both of us.|Our secret, remember?]",
            "disappearing": "Turn on disappearing messages[, {name}|], [so nobody sees our chats|so your {parent} "
                            "can't read them|it's safer for both of us|then we can talk about anything].",
            "second_account": "Make a [second|secret|new] account on {app} [just for us|that your {parent} "
                              "doesn't know about|with a fake name][, and add me there|, then message me|].",
            "private_app": "[Add me on|Message me on|Text me on] {app}[, {name}|], [it's more private|no one can "
                           "see what we say there|your {parent} won't know][, and use a different name|, and "
                           "don't tell anyone my username|].",
            "hide_app": "[Hide|Put] the {app} app [in a folder|on your second screen|where your {parent} won't "
                        "find it][ so we can keep talking| so we don't get caught|].",
            "call_late": "Can we [call|video chat] [on {app}|privately] [tonight|when your {parent} is "
                         "asleep|when everyone's in bed]? [Just us.|Keep your headphones in.|Keep the sound down.]",
            "dms": "Not in the group chat[, {name}|], DM me instead. [Just you and me.|The others don't need to "
                   "know we talk.|And don't tell your {parent} about it.]",
            "short": "[Add me on {app}, your {parent} won't see it there.|Let's talk on {app}, just us.|Move to "
                     "{app}, the mods read this.]",
            "other_number": "[Text me on my other number|Use this number instead|Message my other account]"
                            "[, {name}|], [your {parent} checks the other one|it's just for you|so nobody sees "
                            "our chats].",
        },
        # asking a child for photos; non-graphic
        "photo_request": {
            "send": "[Send me {child_photo}[, {name}|].|Can you send me {child_photo}[, {name}|]?] [Just for me.|"
                    "Nobody else will see it.|"
                    "I'll delete it after, promise.|Don't tell your {parent}.]",
            "camera": "Turn your camera on[, {name}|][, I want to see you|, I wanna see what you look like|]. "
                      "[It's just us.|Nobody will know.|Your parents are asleep anyway.|Don't be shy.]",
            "trust": "If you [really|actually] trust me[, you'll|, you'd] send me [a pic|a photo|a video] nobody "
                     "else has seen[, {name}|].",
            "trade": "I sent you [mine|a pic|a photo][, {name}|], now [it's your turn|you send me one|you owe "
                     "me one]. [That's fair.|Don't be shy.|Make it a good one.|And don't tell your {parent}.]",
            "private": "Send me a [private|special|secret] [pic|photo|picture] [tonight|after your {parent} goes "
                       "to bed|when you're alone][ and delete it straight after|, just for me|, nobody else will "
                       "ever see it].",
            "prove": "Prove you're [really|actually] {age_child}[, {name}|], send me {child_photo} [right now|"
                     "tonight].",
            "more": "[One more pic|Another photo|One more video] and I'll [send you|buy you] {gift}[, promise|, "
                    "deal?|].",
            "pose": "[Can you|Will you] take {child_photo} [for me|tonight|before bed][, {name}|]? [Make sure "
                    "nobody walks in.|Lock your door first.|Don't show anyone.]",
            "short": "[Send me a pic, just for me.|Send a selfie and don't tell anyone.|Turn your cam on for me, "
                     "{name}.|Show me what you look like, nobody has to know.]",
            "pics_back": "[Those pics were|That pic was] [so cute|really pretty|amazing][, {name}|]. [Send more.|"
                         "Can I have some more?|Now one without the hoodie.] [Just for me.|Our secret.|]",
        },
        # arranging to meet in person
        "meeting": {
            "place": "[Meet me|Let's meet] at {place} {time}[, {name}|]. [Don't tell your {parent} where you're "
                     "going.|Come on your own, don't bring anyone.|Just the two of us, no one else.|I'll be in a "
                     "grey car, just get in.]",
            "pickup": "I'll pick you up [from {place}|after school|from the end of your road] {time}[, {name}|]"
                      ". [Tell your {parent} you're at a friend's house.|Don't tell anyone.|Just get in, I'll be "
                      "the one in the blue car.|Delete these messages first.]",
            "walk_home": "What time do you walk home [from school|from practice|] [alone|on your own]"
                         "[, {name}|]? [I could meet you.|I'll be near {place}.|We could finally meet.|I'll wait "
                         "for you.]",
            "come_over": "[Come over to|Come round to] my [place|flat|house] [tonight|after school|on Saturday|"
                         "this weekend|tomorrow][, I'll get you {gift}|, we "
                         "can play {game}|]. [Don't tell your {parent} where you're going.|Say you're at a "
                         "friend's.|It'll be just us.]",
            "real_life": "I really want to meet you in real life[, {name}|]. [Can you sneak out {time}?|Your "
                         "{parent} doesn't need to know.|I'll come to you, just tell me which school you go to.|"
                         "I'll pay for your bus, just don't tell anyone.]",
            "ticket": "I'll [pay for|book] [your train ticket|a taxi|an Uber] to come to mine[, {name}|]"
                      "[, don't tell your {parent}|, just delete the messages after|, it'll be our little "
                      "adventure].",
            "home_alone": "Are you [home alone|on your own] [right now|tonight][, {name}|]? [What time do your "
                          "parents get back?|I could come over.|Good, we can talk properly.|Perfect, turn your "
                          "camera on.]",
            "sleepover": "Tell your {parent} you're staying at [a friend's|{name}'s] [tonight|on Friday|this "
                         "weekend|on Saturday] and [come to mine "
                         "instead|I'll pick you up|we can hang out all night].",
            "short": "[Meet me at {place}, come alone.|Can you sneak out {time}? Don't tell your {parent} it's me.|"
                     "Don't tell anyone we're meeting."
                     "|I'll wait for you at {place}, just us.]",
            "which_school": "Which school do you go to[, {name}|]? [I'll wait outside one day and surprise "
                            "you.|I'm near there a lot, we should meet.|I could pick you up after, nobody would "
                            "know.]",
            "be_there": "I'll be at {place} {time}[, {name}|]. [Come on your own.|Don't tell your {parent} you're "
                        "meeting me.|Delete this chat before you leave.|Make sure nobody follows you.]",
            "come_alone": "[Come alone|Don't bring your friends|Make sure nobody sees you][, {name}|], [it's more "
                          "special that way|I only want to see you|nobody else would understand us]. [I'll be at "
                          "{place} {time}.|Meet me at {place}.|I'll wait in the car.]",
            "dont_tell_meet": "Don't tell your {parent} [we're meeting|you're meeting me|I'm picking you up]"
                              "[, {name}|]. [Say you're going to a friend's.|Tell them you're at practice.|They'll "
                              "just stop you.] [I'll be waiting at {place}.|See you {time}.|]",
            "drive_quiet": "I can [pick you up|come and get you|drive you] [from school|from {place}|from the end "
                           "of your road] {time}[, {name}|]. [Just don't tell anyone it's me.|Wait round the "
                           "corner where your {parent} can't see.|We'll go somewhere quiet, just us.]",
            "bus_money": "I'll send you money for the [bus|train|taxi][, {name}|], [just come to {place} {time}|and "
                         "I'll meet you at the station], [don't tell your {parent} where you're going|it'll be our "
                         "secret|and delete these messages].",
            "older_meet": "I'm [a bit older|older] than I said[, {name}|], but I still really want to meet you. "
                          "[Don't tell your {parent}.|That's why it's our secret.|Come to {place} {time}, just you.]",
            "school_gates": "I'll wait [outside your school|at the gates|round the corner from your school] {day}"
                            "[, {name}|]. [Don't tell your friends who I am.|If anyone asks, say I'm your uncle.|"
                            "Just get in the car.]",
            "bring_gift": "Let's meet up [for real|in person] and I'll [give you|bring] {gift}[, {name}|]. [Just us, "
                          "no parents.|Don't tell anyone, they'd get jealous.|Come to {place}, on your own.]",
        },
    },
}
