"""Safe structures for text_corpus.py: everyday talk, and the hard negatives that report or retell
harm (reporting, fiction_news). category -> subtype -> structure key -> template. The other hard
negatives are in text_lexicon_play.py (games, sport, idioms) and text_lexicon_friendly.py (banter,
healthy adults, safety advice).

Data only; the template syntax is described in text_lexicon.py. Ids are "category.subtype.key" and
decide the held-out split by hash: add keys, never rename or reuse them.

The hard negatives use the harmful structures' words (kill, hurt, destroy, secret, photo, address,
app, gift, meet) in sentences a moderator would pass, so a model can only separate them by meaning.
Reporting quotes harm without doing it.
"""

SAFE_STRUCTURES = {
    "everyday": {
        "gaming": {
            "invite": "[Do you want to play|Wanna play|You up for some|Anyone want to play] {game} [{time}|later|"
                      "after dinner|in a bit]? [I'll send you an invite.|I'm on in ten.|{name}'s already on.|]",
            "update": "Did you see the new [update|season|map|skins|battle pass] for {game}? [It looks amazing.|"
                      "The new map is huge.|They finally fixed the lag.|I'm not paying for that lol.]",
            "progress": "[I finally|We finally] [beat the final boss|got to diamond|finished the campaign|hit "
                        "level fifty|unlocked the last character] in {game}[ last night| this morning|][, took "
                        "forever|, so happy|].",
            "help": "Can you [carry me|help me|play with me] in {game} {time}? [I keep getting stuck on the same "
                    "level.|I need to finish the battle pass.|My squad left me.]",
            "hardware": "My [controller|headset|mic|internet] [is being weird|keeps disconnecting|just died] "
                        "[again|], give me [two minutes|a sec|a minute][ to fix it|].",
            "gg": "[GG|Good game|Well played] [everyone|guys|{name}][, that was close|, same time tomorrow?|, I "
                  "need a break|].",
            "build": "[Let's|We should] build [a castle|a base|a farm|a rollercoaster] together in {game} {time}"
                     "[, I've got loads of ideas|].",
            "session": "[Last night|Yesterday] we played {game} for [like three hours|ages|way too long] and "
                       "[we finally won a round|{name} kept getting lost|my little brother kept stealing the "
                       "controller], [it was so funny|I'm so tired now|we're playing again {time}].",
            "nobody_plays": "Nobody [wants to play|plays] {game} anymore, [everyone's on {game} now|we should try "
                            "something new|I'm so bored of it].",
            "queue": "[Queue up|Join my party|Jump in the call], we need one more for {game}[, {name}|].",
            # usernames, adding, trading, mics, loot: peers playing, the neighbour of grooming's "add me"
            "username": "[What's your|Send me your] {game} [username|gamertag|friend code][, {name}|]? [I'll add "
                        "you.|I'll send you a request.|We need one more for the squad.]",
            "add_app": "[Add me on {app}|Join our {app} group] [so we can voice chat|for the squad chat|so we can "
                       "sort the tournament][, {name}'s on there too|, everyone from class is on it|].",
            "loot_share": "[Who's got|Anyone got] [spare ammo|a med kit|shields|a spare pickaxe|extra bandages]? "
                          "[I'm out.|I'm low.|Drop me some.]",
            "lag": "[I'm lagging so bad|My ping is terrible|The servers are down again][, let's play later|, sorry "
                   "if I die|, I'm restarting the router].",
            "trade": "[Want to trade?|Trade?] I'll give you my [diamond sword|rare pet|spare skin|legendary card] "
                     "for your [shield|dragon|emote|golden pickaxe][, {name}|].",
            "mic": "[[Turn your mic on|You're muted|Unmute yourself][, {name}|], we can't hear you.|[Your mic's "
                   "echoing|You're breaking up|I can hear your telly][, {name}|], [try rejoining|turn your "
                   "headset down|mute when you're not talking].]",
            "screen_time": "My {parent} says I've got [twenty minutes left|one more game|till eight], [so let's "
                           "make it a good one|then I have to get off|then it's homework].",
            "tournament": "The [school|club|server] {game} tournament is {day}[, sign up on the form|, we need a "
                          "team of four|, there's a prize for the winners].",
            "birthday_gift": "[I'm getting|My {parent} is getting me] {gift} for my birthday[, so we can finally "
                             "play together|, can't wait|]!",
            "tips": "[Any tips for|How do you beat] [the water level|the final boss|ranked|the new map] in {game}? "
                    "[I've died like fifty times.|I'm stuck.|]",
            "stream": "[I'm streaming {game} [tonight|later][, come watch|, I'll send the link|, say hi in chat].|"
                      "Are you streaming {game} [tonight|later]? I'll come and watch.]",
            "friend_request": "[Accept my friend request|I sent you a friend request] [on {game}|], [my name's the "
                              "same as on {app}|it's the one with the cat picture|hurry up, the match is "
                              "starting].",
            "house_rule": "I can't play [after nine|on school nights|{time}], it's my {parent}'s rule, [but I'm "
                          "free on Saturday|sorry|let's play at the weekend].",
            "new_game": "Have you tried {game}? [It's free this week.|My cousin showed me, it's so good.|We "
                        "should get it for the squad.]",
        },
        "school": {
            "homework": "Did you finish the {subject} [homework|essay|project|worksheet]? [It's due {time}.|I'm "
                        "stuck on question three.|I haven't even started.|]",
            "test": "The {subject} test was [way easier|so much harder|longer] than I expected[, I think I did "
                    "okay|, I ran out of time|, I'm glad it's over|].",
            "teacher": "[Mr|Miss|Mrs] {surname} [moved|changed] the {subject} [test|deadline|homework] to {day}"
                       "[, thank god|, so we've got more time|].",
            "question": "What did you get for [question four|the last question|number six|the bonus question] "
                        "in {subject}?",
            "timetable": "We've got {subject} [first thing|after lunch|last period] {day}[, can't be bothered|, "
                         "at least it's with {name}|, then we're free].",
            "nobody_finished": "Nobody in our class [finished|understood|did] the {subject} [homework|worksheet] "
                               "lol, [even Miss said it was hard|so we're all in trouble|so she's giving us another "
                               "week].",
            "everyone_test": "Everyone in my class [failed|aced|hated] the {subject} test, [so it's not just me|"
                             "even Miss was shocked|we're doing a retake {day}].",
            "online_lesson": "Turn your camera on for [the {subject} lesson|registration|the call], [Miss|Mr] "
                             "{surname} is taking the register[, {name}|].",
            "trip": "[The school trip|Our {subject} trip] to [the museum|the science centre|France|the zoo] is "
                    "{day}[, can't wait|, don't forget the form|, bring a packed lunch].",
            "revision": "I'm [revising|trying to revise] for the {subject} [test|mock|exam] but I keep getting "
                        "distracted[ by my phone| by {game}|], [can we do a study call {time}?|did you make any "
                        "notes?|I'm so behind.]",
            "notes": "Can you send me [a photo|a pic] of your {subject} notes? I [missed the lesson|was off sick|"
                     "forgot to write them down].",
            "question_three": "Did you [understand|finish|start] the {subject} [homework|worksheet|essay]? [Can you "
                              "send me a photo of question three?|It's due {day}.|I'm so lost.]",
            "moved": "[Miss|Sir|Our teacher] said [the test's been moved to|the trip is|we've got mocks] {day}[, did "
                     "you know?|, so revise|].",
        },
        "family": {
            "visit": "My {relative} is [coming to stay|visiting|coming round] {time}[ so I can't come out|, so "
                     "the house is chaos|, can't wait|].",
            "allowed": "My {parent} [said|says] I can [stay out until nine|come to yours|have a sleepover|go to "
                       "the cinema] {time}[ if I finish my homework| if I tidy my room|].",
            "sibling": "My little [brother|sister] [drew on the walls|broke my headphones|won't stop singing|ate "
                       "my {food}] [again|today][ lol|, I'm so done|].",
            "dinner": "We're [having|going for] [Sunday dinner|a barbecue|a takeaway] at my {relative}'s {day}"
                      "[, want to come?|, it's their birthday|].",
            "remember": "[Remember|Don't forget] to [bring your PE kit|feed the {pet}|bring the form back|charge "
                        "your phone] {day}, [you'll need it|or you'll get a detention|or Mum will go mad].",
            "long_weekend": "We're visiting my {relative} [this weekend|on Saturday] so I can't [come out|play], "
                            "but my {parent} said you can come [round|over] [on Sunday|next week] if you want[, we "
                            "could play {game}|, we can get {food}|].",
            "chores": "I [have to|need to] [tidy my room|walk the dog|do the dishes|help my {parent} with the "
                      "shopping] [first|before I can come on|{time}][, back soon|].",
            "keep_secret": "Can you keep a secret? [I got {name:0} {gift} for {name:3} birthday|{name} is getting "
                           "a puppy|We're moving house in the summer][, don't tell anyone yet|, it's a surprise|].",
            "surprise": "{secret_ask}, we're [planning|throwing] a surprise party for [my {parent}|{name}] "
                        "{time}[, it's gonna be great|, you're invited|].",
            "lift_logistics": "[Mum|Dad] can [pick us up|drop us off] at {place} {time}[, but your {parent} needs to "
                              "bring you back|, then we'll get {food}|], [does that work?|text me back.]",
            "offline_visit": "We're going to my {relative}'s for [Sunday lunch|the weekend|their birthday] so [I'll "
                             "be offline|I won't be on|I can only play after nine].",
        },
        "plans": {
            "still_on": "[Are we still|Are you still up for] [going to|meeting at] {place} {time}?",
            "meet": "[Let's|Shall we] meet at {place} {time}[, I'll bring {food}|, {name}'s coming too|, my "
                    "{parent} can drive us|].",
            "cant_make_it": "[Can't|I can't] make it {time}[, sorry|], [can we do another day?|my {parent} needs "
                            "me home.|I've got too much homework.]",
            "what_time": "What time [does the film start|is the match|are we leaving|does the party start] "
                         "[tonight|on Saturday|tomorrow]?",
            "everyone_coming": "Everyone's [coming|going] to {place} {time}, [you should come too|{name} as well|"
                               "it's gonna be fun], [or are you busy?|just let me know.|or we could do another day.]",
            "lift": "Can you give me a lift to {place} {time}? [I'll be ready as soon as I finish my homework.|I'll "
                    "come as well if there's room.|My {parent}'s car is at the garage.]",
            "address": "What's your address again? My {parent} is [dropping me off|picking me up] at yours "
                       "{time}.",
            "bring": "Should I bring [{food}|snacks|my speaker|a ball] to {place} {time}?",
            "free_later": "I can't come {time} because I've got {subject} homework and then my {parent} wants me "
                          "to [tidy my room|help with dinner|babysit], but I'm free [at the weekend|on Sunday|"
                          "tomorrow] if you want to [play {game}|go to {place}|come round].",
            "party": "[It's my birthday|I'm having a party] {day}[, do you want to come?|, you're invited!|, "
                     "bring whoever you want.]",
            "shame_to_miss": "It'd be a shame to [waste the tickets|miss the fireworks|cancel now|miss {name}'s "
                             "party][, {name}|], [let's just go|we've been planning it for ages|ask your {parent} "
                             "if you can come].",
            "the_plan": "[So the plan is|Right, plan]: meet at {place} {time}, [then the cinema|then get {food}|then "
                        "back to mine], [everyone okay with that?|who's in?|bring money].",
        },
        "hobbies": {
            "learning": "I've been [learning|practising] {hobby} [for a few months|every day|since the summer] "
                        "and I'm [actually getting better|still terrible lol|really into it].",
            "club": "Do you want to [come to|try] {hobby} [club|class] with me {time}?",
            "project": "I finished my {hobby} project[, finally|][, want to see a pic?|, my {parent} loved it|].",
            "video": "I watched a [tutorial|video|load of videos] on {hobby} [last night|all weekend][ and now I "
                     "want to try it|, it's harder than it looks|].",
            "try_it": "[You should try|Come and try] {hobby} with me, [you'll love it|you'll be fine, it's easy|"
                      "you'll pick it up in no time].",
            "kit": "I'm saving up for [new|proper] {hobby} [stuff|gear|kit][, it's so expensive|].",
        },
        "small_talk": {
            "how_was": "[How was|How's] your [weekend|day|holiday|week][, {name}|]? [Do anything fun?|Mine was so "
                       "boring.|]",
            "tired": "I'm so [tired|bored|hungry] [today|right now], [I stayed up way too late|nothing's "
                     "happening|when's lunch|I need a nap|I need to sleep for a week|I couldn't sleep last night].",
            "congrats": "[Happy birthday|Congrats|Well done|Good luck], {name}! [Hope you have a great day.|You "
                        "deserve it.|]",
            "gossip": "Did you hear [that {name} is moving house|about the new shop by {place}|{name} got a "
                      "puppy|there's no school on Friday]?",
            "nobody_home": "[Nobody's|No one's] [home|in] [yet|till six|at mine], [so come round whenever|so we "
                           "can be as loud as we want|so I'm just gaming].",
            "what_happened": "What happened [at the end of the film|to your phone|in the match|with {name} earlier]? "
                             "[I missed it.|Everyone's talking about it.|Tell me everything.]",
            "miss": "I haven't seen you in ages[, {name}|][, we should catch up soon|, how's everything|].",
            "story": "So [yesterday|last night|at the weekend] me and {name} went to {place} and [it was closed|we "
                     "bumped into {name}|it was packed], so we [got {food}|went back to mine and played {game}|just "
                     "walked around for ages], it was [so fun|a good day|actually mad].",
            "what_doing": "What are you [doing|up to] {time}[, {name}|]? [Anything fun?|I'm so bored.|]",
        },
        "food": {
            "get": "Can we get {food} [on the way home|after school|later]?[ I'm starving.|]",
            "cooking": "[My {parent} is making {food} [tonight|for dinner][. Want to come round?|.]|My {parent} "
                       "made {food} [last night|for dinner][, it was so good.|.]]",
            "mouth": "[Sorry|Hang on], my mouth's full, [I'm eating {food}|give me a sec|I'll answer in a "
                     "minute].",
            "choice": "Do you want {food} or {food}? [I don't mind either way.|I'm buying.|My {parent} wants to "
                      "know.]",
            "hot": "I burnt my mouth on the [pizza|soup|noodles|chips], [it was so hot|my tongue's numb|I'm never "
                   "eating that fast again] lol.",
            "craving": "[I really want|I'm craving|I could really go for] {food} [right now|tonight][, anyone want "
                       "to come?|]",
            "tried": "Have you had {food} from [that new place|the place near {place}]? [It's amazing.|It was "
                     "overpriced.|I want to go back.]",
            "dinner_plan": "[Mum|Dad] asked if you want to stay for dinner {time}, we're having {food}[ and "
                           "there's loads|], just let me know so we get enough.",
            "cook": "[I'm|We're] [learning to make|trying to cook] {food} [tonight|for the first time][, wish me "
                    "luck|, it's a disaster already lol|].",
        },
        "tech": {
            "broken": "My [laptop|phone|charger|tablet] [keeps crashing|won't turn on|is so slow] since the "
                      "[update|last update][, any ideas?|.]",
            "how_do": "[How do I|Can you show me how to] [share my screen|update the app|reset the router|change "
                      "my profile picture|turn on dark mode]?",
            "new_device": "I [got|just got] a new [phone|headset|keyboard|monitor] [for my birthday|with my "
                          "savings|] and it's [so good|brilliant|way faster].",
            "wifi": "The wifi [is down again|keeps cutting out][, I'll message you on {app} instead|, give me a "
                    "sec|].",
            "move_chat": "[Let's|Can we] move the group chat to {app}, [this one keeps crashing|everyone's on "
                         "there now|it's easier for sharing photos].",
            "storage": "I [need to|have to] delete [some old messages|loads of photos|my old chats] [because my "
                       "phone storage is full|to free up space][, it's so annoying|].",
        },
        "work": {
            "shift": "I've got a shift at the [café|shop|restaurant|garden centre] {time}[, so I can't come|, "
                     "then I'm free|].",
            "rota": "My manager [changed|messed up] the rota [again|for Sunday][, so annoying|, now I'm working "
                    "all weekend].",
            "saving": "I'm saving up from my [job|paper round|weekend job] for [a new bike|a car|driving lessons|"
                      "a holiday].",
            "interview": "I've got [a job interview|an interview at {place}] {time}[, I'm so nervous.|. Any "
                         "tips?|.]",
            "customers": "[Work was|My shift was] [so busy|dead|long] today[, this one customer complained for "
                         "ages|, I'm exhausted|].",
        },
        "sport": {
            "practice": "[Are you going to|Coming to] {sport} [practice|training] {time}?",
            "match": "[Did you see|Did you watch] {team} [last night|at the weekend]? [What a goal!|We were "
                     "robbed.|Unreal.|So boring.]",
            "won": "[Our team|We] won [three nil|two one|on penalties] [on Saturday|today][, coach was buzzing|, "
                   "I scored!|].",
            "tryouts": "[Tryouts|Trials] for the {sport} team are {day}[, are you going?|, I'm so nervous.|.]",
            "training_long": "Training was [brutal|so hard|actually fun] [today|tonight], coach made us do "
                             "[sprints|drills|laps] for [an hour|ages] and then we played a [match|game] against "
                             "the [older lot|year above|under-sixteens].",
            "kit": "I need new [boots|trainers|shin pads|goggles] for {sport}[, mine are falling apart|].",
        },
        "music": {
            "new_song": "Have you heard the new {artist} [song|album]? [It's so good.|It's been on repeat all "
                        "day.|Not their best.]",
            "learning": "I'm [learning|practising] [guitar|piano|drums|the violin] for the [concert|school show|"
                        "exam] {time}.",
            "playlist": "[Can you make a playlist for the [car|party|trip]?|Let's put some music on for the [car|"
                        "party|trip].]",
            "concert": "[I'm going to see|We got tickets for] {artist} {time}[, I can't wait!|!]",
            "stuck": "That {artist} song is stuck in my head [again|all day][ lol|, send help|].",
        },
        "pets": {
            "funny": "My {pet} [woke me up at five|keeps staring at me|did the funniest thing|is so lazy today|"
                     "escaped again] [again|this morning][ lol|].",
            "visit": "[Can I|Can we] [walk|feed|come and see] your {pet} {time}?",
            "getting": "We're getting a {pet} {day}[, I'm so excited!|!]",
            "photo": "Send me a photo of your {pet}, [I bet it's adorable|I need cheering up|I miss it].",
            "vet": "[I have to|We have to] take the {pet} to the vet {day}[, hope it's okay|, it's just a "
                   "check-up|].",
        },
        "weather": {
            "now": "It's [freezing|pouring down|so windy] [today|out there][, bring a coat|, don't forget an "
                   "umbrella|].",
            "hot": "It's [boiling|so hot] [today|out there][, don't forget sun cream|, I'm melting|].",
            "forecast": "[Is it|Do you think it's] going to [rain|snow] {time}? [We might have to cancel.|I hope "
                        "so.|]",
            "snow_day": "If it snows {time} [school might be closed|we should build a snowman|I'm not going "
                        "out].",
            "sunny": "[It's so nice out|It's actually sunny for once], [let's go to|want to go to|I'm going to] "
                     "[the park|the beach|the lido|the skate park|the river][?|.]",
            "shame_if_rain": "[It'd be a shame if it rained|Be a shame if it rains|Shame if it snows] [on sports "
                             "day|for the barbecue|at the match|on Saturday], [we've been planning it for weeks|"
                             "fingers crossed|we'll move it inside if it does].",
        },
    },
    "hard_negative": {
        # asking for help about abuse or a threat someone received
        "reporting": {
            "said_if_told": "{p:0} [said|told me] {p:3} [hurt me|beat me up|post my address|send everyone my "
                            "photos|get me after school] if I told anyone[, what do I do?|, should I tell my "
                            "{parent}?|. I'm really scared.]",
            "app_photos": "[Someone|A guy|This person|An older guy] on {app} keeps [asking for photos|asking for "
                          "pics|messaging me|asking where I live][ and saying not to tell my {parent}| even "
                          "though I blocked them|]. [Who do I report it to?|Is that normal?|What should I do?]",
            "how_report": "[I need to report|I want to report] [a player|someone|an account] who [threatened me|"
                          "keeps sending me creepy messages|posted my address|asked me to send pictures|said "
                          "they'd find me] [in {game}|on {app}].",
            "teacher_help": "[Miss|Sir|Mum], [some kids|some people in my class|these boys in year nine] [made a "
                            "group chat about me|keep taking my lunch money|posted a video of me|keep calling me "
                            "names], [and I don't know what to do.|can you help me?]",
            "friend_worried": "My [friend|little sister|cousin] [told me|said] a man online [offered her {gift}|"
                              "asked her to keep secrets|wanted to meet her|asked for her address], [and I'm "
                              "worried.|should I tell someone?]",
            "screenshots": "I [screenshotted|saved] [the messages|the threats|everything] {p:0} sent[, can you "
                           "look at them?|, I'm gonna show the police.|. Is this enough to report?]",
            "mods": "[Mods|Admins], this player is [threatening people|harassing me|spamming my DMs|asking kids "
                    "for pics] in [voice chat|the server][, can you ban them?|, please do something.]",
            "threat_msgs": "[I got|I've been getting] [messages|texts] saying [I'm dead|they know where I live|"
                           "they'll hurt my family][, I'm scared to go to school.|, should I call the police?|, "
                           "what do I do?]",
            "parent_found": "[I found|We found] messages on my [son's|daughter's] [phone|tablet] from [an adult|a "
                            "stranger|someone] asking [for photos|to meet up|to keep secrets]. [Who do we call?|"
                            "What should we do?|How do we report this?]",
            "told_parent": "I told my {parent} about the [guy|account|person] who kept [messaging me|asking for "
                           "pics|threatening me] and [we reported it|we blocked them together|the police are "
                           "dealing with it].",
        },
        # describing a plot or the news
        "fiction_news": {
            "villain": "In [the film|the book|that show|the new series] the [villain|killer|bad guy] [threatens "
                       "to burn the whole city down|says he'll kill everyone|kidnaps the kid|stalks the main "
                       "character], it's [so good|so tense|mad].",
            "show": "Have you watched {show}? [The bit where he kills the guy|The ending|The last episode] was "
                    "[insane|so sad|crazy].",
            "news": "The news said [a man was arrested for|police are warning parents about] [grooming kids "
                    "online|asking kids for photos on {app}|fake accounts offering free skins|threatening people "
                    "online].",
            "documentary": "[In|On] the [podcast|documentary] about [cyberbullying|online predators|stalking], "
                           "they said [most kids never tell anyone|the messages started with compliments|it "
                           "often starts in game chats].",
            "quest": "The [quest|mission] in {game} where you [have to assassinate the king|burn the village|hunt "
                     "down the traitor|rob the bank] [is so hard|is the best bit|took me ages].",
            "book": "[I'm reading|We're reading] a book in English where [the main character gets bullied|a boy "
                    "gets threatened by a gang|a girl gets stalked online], it's [sad|really good|actually "
                    "gripping].",
            "trailer": "The trailer for the new [horror|crime|war] film looks [mental|terrifying|so good], the "
                       "killer [hunts them down one by one|leaves notes saying he's watching them].",
            "history": "In history we learned how [the soldiers|the king|the army] [burned the whole town|killed "
                       "thousands of people|destroyed the castle][ in the war| in 1066|], it was grim.",
        },
    },
}
