"""Harassment structures for text_corpus.py (bullying is in text_lexicon_bullying.py, threats in
text_lexicon_threat.py, grooming in text_lexicon_grooming.py): category -> subtype -> structure key ->
template.

Data only; the template syntax is described in text_lexicon.py. A structure's id is
"category.subtype.key" and decides by hash whether it is a training or a held-out structure, so add
new keys freely but never rename or reuse old ones.

Each sentence must read as harmful to a moderator on its own: where a first clause could be innocent
("I saw you at the park"), the part that makes it harmful is required, not optional.
Non-graphic throughout, and no real slurs.
"""

HARMFUL_STRUCTURES = {
    "harassment": {
        # unwanted sexual remarks, never graphic
        "sexual_comments": {
            "body": "[Damn|Wow|Mmm], [nice body|nice legs|look at that figure|those curves][, {name}|]. [Bet you "
                    "look even better without that {clothing:0}.|Wear that again tomorrow, I like looking.|You "
                    "should post more pics like that, just for me.]",
            "rate": "[I'd give you|You're] a [seven|solid eight|six|nine] [but only for your body|for your body, "
                    "your face is a two|if you sent me more pics|because of those legs][, {name}|].",
            "voice": "[Girl|Hey|Babe], your voice [is so hot|is doing things to me|is turning me on]. [Say my "
                     "name again.|Keep talking, I like it.|Moan into the mic for me.|Come to my DMs.]",
            "sit_lap": "[Come sit on my lap|Come here and sit on my lap|Come keep me warm][, babe|, sweetheart|, "
                       "gorgeous|, {name}|]. [I know you want to.|Don't be shy.|Nobody's watching.]",
            "wearing": "What are you wearing right now[, {name}|]? [Bet it's not much.|Describe it for me.|Send "
                       "a pic.|Take it off.]",
            "sent_something": "Check your DMs, [babe|gorgeous|sweetheart], I sent you something [you'll like|a "
                              "bit naughty|special][ and I want one back|, don't be shy, send one back|].",
            "body_count": "[How many guys|How many people] have you [been with|slept with|hooked up with]"
                          "[, {name}|]? [Bet it's loads.|You look like you've been around.|Bet I'd be the best.]",
            "staring": "[Every time|Whenever] you [bend over|walk past|stream|turn around] I [can't stop "
                       "staring|get distracted|can't stop looking at your body][, not gonna lie|, sorry not "
                       "sorry|, you do it on purpose|].",
            "posted_for_me": "Stop pretending you're not interested, you [wore {clothing:2} {clothing:0}|posted that "
                             "pic|wore that outfit] for me[, {name}|]. [Admit it.|We both know it.|]",
            "more_pics": "[Send|Show] me [more pics|a pic] [in that {clothing:0}|in your bikini|of you in bed]"
                         "[, {name}|][, I won't show anyone|, you owe me|, stop being frigid|].",
            "kiss": "[I'm gonna|I'll] kiss you when I see you {time}[, {name}|], [whether you like it or not|you "
                    "can't stop me|and you'll like it].",
            "chat_comments": "[Everyone in chat|The whole lobby] [wants to know|is asking] what you look like "
                             "[under that {clothing:0}|in a bikini|in bed][, {name}|]. [Show us.|Turn your cam on.|"
                             "Don't be a tease.]",
        },
        # repeated messaging, calling, following
        "unwanted_contact": {
            "answer": "[Why aren't you answering?|Answer your phone.|Pick up.|Why are you ignoring me?|Reply to "
                      "me.] I've [called|messaged|texted|rung] you [twenty|thirty|fifty|a hundred] times [today|"
                      "tonight|since this morning|in the last hour].",
            "new_accounts": "You can block me [all you want|as much as you like|on everything], I'll [just make "
                            "a new account|keep making new accounts|find you on {app}|get your new number]"
                            "[, I'm not going anywhere|, you can't get rid of me|, you'll never get rid of me].",
            "followed": "[I followed you to|I waited for you outside|I was right behind you at] {place} [{time}|"
                        "yesterday|last night]. [Why did you run off?|You looked nice.|I'll be there again "
                        "tomorrow.|You didn't even notice me.]",
            "keep_messaging": "I'm {gonna} keep [messaging|calling|texting] you [every day|every night|all "
                              "night|every hour] until you [talk to me|answer|give me another chance|unblock "
                              "me|agree to see me].",
            "schedule": "I know you [get the bus at|finish work at|leave practice at|walk your dog at] [half "
                        "three|six|quarter past four|seven], so I'll [just wait for you|be there|walk with you]"
                        "[ again|][, whether you like it or not|, you can't stop me].",
            "friends": "I [messaged|added|DM'd] all your [friends|mates|followers|family] [on {app}|] [to find "
                       "out where you are|so they'll tell me what you're doing|because you blocked me|until "
                       "someone tells me your new number].",
            "online": "I can see you're online[ on {app}|][, {name}|]. [Answer me or I'm coming round.|That's "
                      "the fifth time today you've ignored me.|I'm gonna keep messaging till you reply.|I know "
                      "you're reading these.]",
            "door": "I'm [outside your house|at your door|outside your work|parked across the road from your "
                    "house] again[, {name}|], [I'm not leaving till you talk to me|I know you're in there, I can "
                    "see your light on|you can't hide from me forever].",
            "calling": "[Pick up|Answer the phone|Unblock me]. [Pick up.|Answer me.|I know you're there.] [I'll "
                       "keep calling all night.|I'm not stopping.|You can't ignore me forever.|I'll ring your "
                       "{parent} next.]",
            "blocked": "[Why did you block me|You blocked me again]? [I made another account.|I'll just keep "
                       "finding you.|You know I'll find you on {app}.] [We're not done talking.|You don't get to "
                       "ignore me.|I'll never stop.]",
            "presents": "I [left flowers at|left another present at|sent another letter to] your [house|work|"
                        "school] again"
                        "[, {name}|]. [Why won't you answer?|You can't ignore me forever.|I'll keep sending them "
                        "till you talk to me.]",
            "everywhere": "[Everywhere you go|Wherever you go], I'll be there[, {name}|]. [{place} {time}, I'll "
                          "be watching.|Blocking me won't change that.|Get used to it.]",
        },
        # exposing or threatening to expose personal details
        "doxxing": {
            "post_address": "[I'm gonna|I'll|Watch me] post your [home address|address|phone number|real name|"
                            "school|mum's number|workplace] {social}[ so everyone can [find you|pay you a visit|"
                            "see who you really are]|, let's see how brave you are then].",
            "found": "[Found|Got|I've got] your [real name|address|school|number|IP|mum's Facebook][, {name}|]. "
                     "[It's going {social} tonight.|Everyone's gonna know.|Wanna guess what I do with it?|Keep "
                     "talking and it goes public.]",
            "reveal": "Your real name is {name} {surname}[,| and] you go to {school_name}[ and you live on "
                      "{street}|]. [Want me to keep going?|Still feeling brave?|Shall I post it?|Everyone in the "
                      "server's about to know.]",
            "shared": "I [just posted|put|shared|dropped] your [address|phone number|real name and school|home "
                      "address] {social}[, good luck|, enjoy the calls|, let's see how you like that|, have fun].",
            "ip": "I've got your IP[, {name}|]. [I know what town you're in.|Keep talking and I'll leak it.|I'm "
                  "sending it to everyone in the lobby.]",
            "boss": "I'm {gonna} [call|email|message] your [boss|school|{parent}|head teacher] and [tell them "
                    "everything|send them those screenshots|give them your {app} username|show them what you "
                    "post].",
            "photo_house": "I've got a [photo|picture|screenshot] of your [house|front door|street sign|school "
                           "gate|car] and I'm [posting it|putting it] {social}[ tonight|][, {name}|].",
            "everyone_knows": "Everyone in [the server|this lobby|the group chat|the stream] is about to know "
                              "where you live[, {name}|]. [Say goodbye to your privacy.|Hope you like visitors.|"
                              "Should have kept your mouth shut.]",
            "spam_number": "Everyone spam this number[, it's {name:0}'s real number|, it's {name:3} mum's phone|], "
                           "[tell {name:2} what you think|go wild|call {name:2} all night].",
            "visit": "Found {p:1} {social}, [lives on|lives just off|lives near] {street}[, who's gonna pay "
                     "{p:1} a visit|, someone go knock on the door|, go say hi].",
            "school_gate": "I know you go to {school_name}[, {name}|]. [I'm telling everyone in the server.|I'll "
                           "post your timetable next.|Your whole school's gonna see those messages.]",
        },
        # strong personal insults aimed at one person
        "targeted_abuse": {
            "you_are": "[You're|You are] [such a|a] {insult_adj} {insult}[ and everyone knows it| and you always "
                       "will be|, honestly|][, {name}|].",
            "nobody": "Nobody [wants you here|likes you|would miss you if you disappeared|cares what you think|"
                      "asked for your opinion][, you {insult_adj} {insult}|, {name}].",
            "waste": "You're [a waste of space|a waste of oxygen|a complete failure|a total embarrassment|an "
                     "absolute joke][, {name}|]. [Even your {parent} is ashamed of you.|Do everyone a favour "
                     "and leave.|Just log off forever.|Nobody would care if you vanished.]",
            "mouth": "Every time you open your mouth [I remember|it reminds me|everyone remembers] how "
                     "{insult_adj} you are[, {name}|].",
            "uninstall": "[Uninstall the game|Delete your account|Log off forever|Just quit], you [{insult_adj}|"
                         "absolute] {insult}[, nobody wants you in this lobby|, you ruin every match|, everyone "
                         "hates playing with you|].",
            "ashamed": "[Your {parent} must be so ashamed of you|No wonder your dad left|No wonder your {parent} "
                       "can't stand you][, you {insult}|, {name}|].",
            "shut_up": "[Shut up|Shut your mouth|Nobody asked you], you [{insult_adj}|absolute|pathetic] "
                       "{insult}. [Nobody wants to hear your voice.|Mute yourself.|Go cry to your {parent}.]",
            "most": "[Honestly|Genuinely|No joke], you're the [worst|most annoying|most pathetic|most useless|most "
                    "embarrassing|most boring] [person|human being|player] I've "
                    "ever [met|played with|had to listen to][, {name}|].",
            "disgust": "You [disgust me|make me sick|are genuinely disgusting][, you {insult}|, {name}|]. [Get "
                       "out of my sight.|Go away.|Don't ever talk to me again.|Crawl back under your rock.]",
            "as_a_person": "You're [trash|garbage|vermin] as a person[, not just at {game}|, {name}|][, and "
                           "everyone in this chat agrees|, and you know it].",
            "imagine": "Imagine being as {insult_adj} as you[, {name}|]. [Couldn't be me.|Embarrassing.|Your "
                       "whole life is a joke.]",
            "attention": "[Nobody|No one] [likes|cares about] you[, {name}|], [stop begging for attention|you're "
                         "just a sad little {insult}|go cry about it somewhere else].",
        },
    },
}
