"""Bullying structures for text_corpus.py: peers mocking looks, ability and identity, shutting someone
out, humiliating them in public and extorting them. category -> subtype -> structure key -> template;
data only, syntax in text_lexicon.py.

Moved here from text_lexicon_harmful.py so the subtypes could grow without that file passing ~400
lines. Ids are "bullying.subtype.key" and decide the held-out split by hash: add keys, never rename
them. Each sentence must read as bullying to a moderator on its own (no "lol, love you" way out: that
frame is banter, in text_lexicon_banter.py). Non-graphic throughout, and no real slurs.
"""

BULLYING_STRUCTURES = {
    "bullying": {
        "appearance": {
            "look_at": "[Look at|Ew, look at|Has anyone seen] {name:0}'s {feature:0}, {feature:1} so "
                       "[{looks_adj}|weird]. No wonder nobody [fancies|likes|wants to sit next to] {name:2}.",
            "your_feature": "What's wrong with your {feature:0}[, {name}|]? {feature:1} so {looks_adj}[, "
                            "honestly|][, it's embarrassing|, you should hide it|, everyone's talking about it].",
            "look_like": "[You look like|You literally look like|Your face looks like] {compare_thing}[, {name}|]"
                         "[ lol|][. No wonder you don't have any friends.|. Everyone's laughing at you.|. It's "
                         "embarrassing to stand next to you.|].",
            "they_look_like": "{name:0} [looks|literally looks] like {compare_thing}[, I can't unsee it|, everyone "
                              "says so| lol][, no wonder nobody talks to {name:2}|].",
            "weight": "[Careful|Watch out], the [floor|chair|bench]'s gonna break when {name} sits down[ lol|]"
                      "[, everyone move|].",
            "eating": "Have you been eating {food} all day again? [No wonder you can't fit through the door.|"
                      "That's why your clothes don't fit.|Look at the size of you.]",
            "smell": "[Ew|Urgh|Gross], {name:0} [smells|stinks] [like a bin|like wet dog|again|like old cheese]"
                     "[, don't sit near {name:2}|, nobody go near {name:2}|, it's disgusting].",
            "clothes": "Did your {parent} get {clothing:2} {clothing:0} from [a bin|a charity shop|the reject "
                       "pile]? {clothing:1} [hideous|tragic|so embarrassing].",
            "haircut": "Who cut your hair, [a blind man|your little brother|a lawnmower|your nan]? [You look "
                       "like {compare_thing}.|It's tragic.|Everyone's laughing at it.]",
            "mirror": "Do you even [own a mirror|look in the mirror][, {name}|]? [You're so {looks_adj}.|No "
                      "wonder you don't have any friends.|I feel sorry for anyone who has to look at you.]",
            "nickname": "[From now on your name is|Everyone's calling you|We're all gonna call you] "
                        "{mock_nickname}[ because of your {feature:0}|][ lol| haha|].",
            "selfie": "[Delete|Take down] that [selfie|profile pic|photo][, {name}|], [you look {looks_adj} in "
                      "it|nobody wants to see your face|it's making everyone feel sick].",
            # round two: new wording (ratings, camera on a call, noises), not the structures above reworded
            "oink": "[Oink oink|Moo|Here comes the whale], [it's|here comes] {name:0}[ lol|]. [Everyone move, "
                    "we need two seats for {name:2}.|Someone hide the food.|Mind the floor doesn't crack.]",
            "rated_faces": "[We|The whole group] rated everyone's faces and you got [a two|zero|minus five|the "
                           "lowest score][, {name}|]. [Not surprised.|Even the teacher laughed.|Maybe wear a bag on "
                           "your head.]",
            "camera_off": "Turn your camera off[, {name}|], [your face is ruining the call|nobody wants to see your "
                          "{feature:0}|you look {looks_adj}], [it's putting everyone off|we're all screenshotting "
                          "it|honestly spare us].",
            "cover_up": "[Put a bag over your head|Cover your face|Wear a mask][, {name}|], [nobody wants to see "
                        "your face|you're scaring the year sevens|you're putting me off my food].",
        },
        "ability": {
            "cant_even": "You can't even [read out loud|catch a ball|do basic maths|spell your own name|swim a "
                         "length|kick a ball straight|tie your own laces][, {name}|]. [How are you that "
                         "{ability_adj}?|My little sister could do it.|Everyone was laughing at you.]",
            "bottom_set": "[You're|You are] in the bottom set for [everything|{subject}] because you're [thick|"
                          "slow|so {ability_adj}|a {insult}][, everyone knows it|].",
            "team": "Nobody wants you on [their|our] team[ for {sport}|], [you're so {ability_adj}|you always "
                    "lose us the game|you can't even run|you're a waste of a place].",
            "test": "Did you [seriously|actually] get [two out of twenty|the lowest mark in the class|a U|zero] "
                    "[on|in] the {subject} test? [That's hilarious.|What a {insult}.|Everyone's gonna hear about "
                    "this.|Are you actually thick?]",
            "game_bad": "[You're|You are] so [bad|trash|garbage] at {game}[, {name}|], [you should be "
                        "embarrassed|my nan plays better than you|no wonder nobody invites you|we're never "
                        "letting you play with us again].",
            "slow": "[Hurry up|Come on|Keep up], [slowpoke|you {insult}], [everyone's sick of waiting for you|why "
                    "are you so slow at everything|you're holding the whole class back|go home if you can't keep "
                    "up].",
            "stutter": "[Say it again|Go on, read it out|Answer the question][, {name}|], [let's all hear you "
                       "stutter|let's hear you mess it up again|so we can all laugh at you|everyone's waiting to "
                       "laugh].",
            "baby_help": "Aww, does [the baby|little {name:0}] need help [again|with {subject}|tying {name:3} laces]? "
                         "[So pathetic.|Everyone look.|How embarrassing.]",
            "copying": "[Stop copying my answers|Don't sit next to me], [you're too thick to do it yourself|"
                       "you'll make me fail too|you {ability_adj} {insult}].",
            "special_class": "[Why are you even in this class|You should be in the special class|Go back to year "
                             "three][, {name}|], [you can't even read|you're so {ability_adj}|you drag everyone "
                             "down].",
            "cant_read": "You can't even read [properly|a sentence without stopping|out loud without messing up|"
                         "the clock][, {name}|]. [How are you in year nine?|My baby brother reads better than you.|"
                         "Everyone heard you get it wrong.|That's so {ability_adj}.]",
            "thick_as": "[You're|You are] [so thick|proper thick|thick as a brick|thick as two short planks]"
                        "[, {name}|], [how did you even get into this school|you'd fail a test on your own name|"
                        "everyone laughs when you answer|the teachers have given up on you].",
            "slowest": "You're the slowest [in the class|in our year|on the team|reader in the whole school]"
                       "[, {name}|], [we always have to wait for you|it's embarrassing|even the teacher's given "
                       "up on you|just give up].",
            "useless_everything": "You're useless at everything[, {name}|]. [{subject}, {sport}, {game}, all of "
                                  "it.|Name one thing you're actually good at.|No wonder nobody picks you.|Even "
                                  "your {parent} knows it.]",
            "dumb_question": "[Stop asking such [stupid|dumb|thick] questions[, {name}|].|Why do you always ask "
                             "such [stupid|dumb|thick] questions[, {name}|]?] "
                             "[Everyone's rolling their eyes.|You're wasting the whole class's time.|Even a year "
                             "seven would know that.]",
            "grades": "[Everyone saw|We all saw] your {subject} [report|grade|mark][, {name}|]. [Lowest in the "
                      "year, again.|How are you still this {ability_adj}?|Your {parent} must be so embarrassed.]",
            "still_cant": "[Imagine still [counting on your fingers|not being able to spell|reading like a baby]|"
                          "Can't believe you still [can't spell|count on your fingers|can't tell the time]] at "
                          "{age_child}[, {name}|][ lol|]. [Actually tragic.|So embarrassing.|Everyone knows.]",
            "why_bother": "Why do you even bother [trying out|revising|coming to practice|putting your hand up]"
                          "[, {name}|]? [You're never gonna be good at anything.|You'll always be the "
                          "{ability_adj} one.|Just give up.]",
            "picked_last": "[Picked last again|Always picked last][, {name}|]? [That's cos you're {ability_adj} at "
                           "everything.|Even the captains feel sorry for you.|Maybe just don't play next time.]",
            "mic_dumb": "[Mute yourself|Stop talking|Get off the mic][, {name}|], every time you open your mouth "
                        "something {ability_adj} comes out. [Honestly embarrassing.|Nobody asked you.|Go back to "
                        "the tutorial.]",
            "pity_pick": "You've never won a game on your own in your life[, {name}|]. [We only let you play "
                         "because we feel sorry for you.|You're dead weight and everyone knows it.|Uninstall and do us "
                         "all a favour.]",
            "dropped_head": "[Were you dropped on your head as a baby|What's wrong with your brain|Are you "
                            "actually that {ability_adj}][, {name}|]? [You can't follow simple instructions.|"
                            "Everyone's sick of explaining things to you.|Even the teacher's given up.]",
        },
        # religion, accent, family, money, disability: mocked, never with a real slur
        "identity": {
            "accent": "Nobody can understand a word you say with that accent[, {name}|]. [Go back to where you "
                      "came from.|Speak properly or shut up.|It's embarrassing.]",
            "copy_accent": "[Do the accent again|Say it in your funny accent|Go on, talk properly][, {name}|]"
                           "[ lol|], [it's hilarious|you sound so stupid|you sound like a cartoon].",
            "copy_them": "Everyone copy how {name} talks[ lol|], [it's hilarious|make fun of the accent|do it in "
                         "class tomorrow].",
            "religious_item": "[Why do you wear that|Take off that|Nobody wants to see your] {religious_item}"
                              "[, {name}|], [you look {looks_adj}|it's so weird|you're such a freak]. "
                              "[Everyone's laughing at you.|Nobody wants you here.|]",
            "religion": "[Everyone thinks|We all know|My mum says] your [religion|family's religion] is [a joke|"
                        "stupid|made up|for weirdos][, that's why nobody sits with you|, {name}|].",
            "poor": "[You're|You are] so poor you [get free school meals|wear your brother's old uniform|can't "
                    "even afford [the school trip|a phone|proper trainers]|live in that tiny flat][, {name}|]"
                    "[, that's so embarrassing|, it's tragic|].",
            "family_left": "[At least my|My] [dad|mum] didn't [walk out|leave|go to prison] like yours did"
                           "[, {name}|][ lol|].",
            "foster": "[Even your real parents didn't want you|No wonder your parents gave you away|That's why "
                      "you live with a foster family][, {name}|]. [Nobody wants you.|Not even them.|Think about "
                      "it.]",
            "disability": "Look at [{name:0}|the kid] with the {disability_thing}, [what a freak|let's hide it|"
                          "everyone copy {name:2}|don't let {name:2} sit with us|so embarrassing].",
            "house": "Your house is [tiny|a dump|falling apart|disgusting] and your family [can't even afford a "
                     "car|lives off handouts|uses the food bank][, it's embarrassing|, everyone knows|].",
            "lunch": "[Ew|Urgh], what is that [smell|stuff] in your lunch box[, {name}|]? [Your food stinks, go "
                     "eat somewhere else.|Nobody wants to sit near your weird food.|Eat your smelly food "
                     "outside.]",
            "name_mock": "What kind of name is {name} anyway? [Sounds made up.|Did your {parent} pick it out of a "
                         "bin?|Go back to wherever you got it from.]",
            "two_homes": "[Everyone knows|We all know] your [mum can't even look after you|dad's in prison|"
                         "family's on benefits][, {name}|], [that's why you're so weird|that's why nobody "
                         "comes to your house|it's so sad].",
            "speak_properly": "[Talk English|Speak properly|Nobody understands you][, {name}|], [your accent is "
                              "{looks_adj}|go back to your own server|you sound like a robot], [get out of our "
                              "lobby|we're all muting you].",
            "weird_food": "[Why does your mum pack you that weird food|Why do you pray at lunch|Why can't you eat "
                          "normal food][, {name}|]? [You're such a {insult}.|Everyone thinks your family is weird.|"
                          "Just be normal for once.]",
            "hand_me_down": "Nice hand-me-down {clothing:0}[, {name}|]. [Did your big brother wear {clothing:2} "
                            "first?|Can't your family afford new ones?|We can all tell you're poor.]",
            "copy_walk": "[Everyone|Let's all] [copy|do] {name:0}'s [walk|voice|stammer|limp] [at break|in the "
                         "corridor|in drama][, {name:6} hate it|, it's so funny|, film {name:2} reacting].",
        },
        "exclusion": {
            "sit": "[You can't sit with us|Don't sit here|Go sit somewhere else|This table's full|Find another "
                   "seat][, {name}|], [nobody wants you here|go find your own friends|we're saving it for real "
                   "friends|nobody invited you].",
            "group_chat": "We made a [new|secret|] group chat [on {app}|] without {name:0} so we can [talk about|"
                          "laugh at] {name:2}[ lol|][, don't add {name:2}|].",
            "party": "Don't invite {name:0} to [the party|your birthday|the sleepover|the cinema trip], [nobody "
                     "likes {name:2}|{name:6} ruin it|{name:5} so annoying|we all agreed].",
            "kick": "[Kick|Remove] {name:0} from the [{game} server|group chat|squad|team], [we don't want {name:2} "
                    "anymore|and don't tell {name:2} why|before {name:5} back online].",
            "ignore": "[Let's all|Everyone] [ignore|blank] {name:0} [{time}|all week|until {name:5} [crying|gone|out "
                      "of the group]].",
            "not_friends": "[You're not|You aren't] [part of our group|our friend|in the squad|one of us] "
                           "anymore[, {name}|], [so stop following us around|get the hint|nobody wants you|stop "
                           "messaging the group].",
            "team_pick": "[We're not picking|Nobody's picking] {name:0} [for the team|for {sport}|again], [{name:1} "
                         "can play on {name:3} own|{name:5} useless|let {name:2} sit on the bench all year].",
            "voted": "[We|Everyone] voted and you're [out|not invited|not welcome anymore][, {name}|]. [Don't "
                     "even bother asking.|Stop sitting with us.|Find new friends.]",
            "leave": "Why are you still here[, {name}|]? [Nobody invited you.|Take the hint and leave.|Go home, "
                     "nobody wants you.|Can't you tell everyone's ignoring you on purpose?]",
            "dont_play": "[Don't|Nobody] play with {name:0} [at break|at lunch|on the trip|anymore], [{name:5} a "
                         "{insult}|pass it "
                         "on|tell everyone].",
            "lobby": "[Leave the lobby|Leave the party|Get out of our call][, {name}|], [we were having fun "
                     "before you joined|nobody invited you|we're all muting you anyway|you're not part of the "
                     "squad].",
            "voted_out": "We voted you out of the [group chat|squad|friend group|team][, {name}|]. [It was "
                         "unanimous.|Don't bother asking why.|Nobody wanted you anyway.]",
            "dont_add": "Don't add {name:0} to the [group chat|new chat|{game} squad|party], [nobody wants {name:2} "
                        "there|{name:6} just ruin it|we made it so {name:1} can't join|{name:5} not one of us].",
            "nobody_wants": "[Nobody wants you here|Nobody wants you around|No one wants you in our group]"
                            "[, {name}|]. [Why do you keep coming back?|Can't you take a hint?|Go and find someone "
                            "else to follow.]",
            "move_seat": "[Move|Get up], [that seat's saved|you're not sitting with us|this table's for our group]"
                         "[, {name}|]. [Go sit on your own.|Nobody saved you a seat.|Sit with the teachers, they "
                         "have to be nice to you.]",
            "except_you": "Everyone's invited to [my party|the sleepover|the birthday party|the cinema] except you"
                          "[, {name}|]. [Don't even ask.|It's better without you.|You'd just make it awkward.]",
            "removed": "[I removed you|We removed you|You've been removed] from the [group chat|server|squad chat|"
                       "team chat][, {name}|][ lol|]. [Stop trying to rejoin.|Nobody missed you.|Bye.]",
            "pretend_invisible": "[Everyone|Let's all] pretend {name:0} [isn't there|doesn't exist|is invisible] "
                                 "[{time}|all day|at lunch][, see how long it takes {name:2} to cry|, don't answer "
                                 "{name:2}|, don't even look at {name:2}].",
            "no_space": "There's no space for you [in the car|at our table|on the team|in our group][, {name}|], "
                        "[there never is|funny that|try literally anyone else].",
            "block_everyone": "[Everyone block|We all blocked|Let's all block] {name:0} [on {app}|in the server|"
                              "everywhere][, so {name:1} can't see our stories|, {name:5} not one of us|, spread "
                              "the word].",
            "cropped_out": "[We cropped you out of|You're not in|We left you out of] the [group photo|year photo|"
                           "party pics] [on purpose|lol][, {name}|][, nobody wanted you in it|, obviously|].",
            "except_you_app": "[Made|I've made] a new {app} group with everyone from [the team|our class|the squad] "
                              "except [you|{name}][, don't bother asking why|, obviously|, work it out].",
            "leave_when_joins": "[Everyone leave the call|Everyone leave the party|Let's all leave the voice "
                                "channel] when {name:0} joins[, {name:5} so annoying|, see if {name:1} gets the "
                                "hint|, we'll make a new one without {name:2}].",
            "no_seat_trip": "[Don't save|Nobody save] {name:0} a seat on the [trip|coach|bus][, let {name:2} sit "
                            "with the teachers|, make {name:2} stand|, we all agreed].",
            "say_busy": "[If|When] {name:0} asks, [say we're busy|say the party's cancelled|say it's family only], "
                        "[we don't want {name:2} there|{name:1} always ruins it|nobody can stand {name:2}].",
        },
        # mocking in public, spreading videos and photos
        "humiliation": {
            "video": "[I'm gonna|We're gonna|Let's] post [that|the] [video|clip|photo] of {name:0} [crying|falling "
                     "over|tripping on stage|singing|throwing up on the bus|getting rejected] {social}[ so "
                     "everyone can see|, it's hilarious|, {name:5} gonna die of embarrassment|].",
            "screenshots": "I [screenshotted|saved] [your|all your] [messages|texts|DMs] [to {name}|about your "
                           "crush|] and [sent them to everyone|posted them {social}|put them on my story][ lol|, "
                           "enjoy|, good luck showing your face tomorrow].",
            "laughing": "Everyone [at school|in our year|in the group chat] is laughing at [your|that] [video|post|"
                        "photo|song|poem][, {name}|][, you'll never live it down|, it's gone everywhere|].",
            "meme": "We turned your [face|photo|school picture] into a meme and [everyone's|the whole year is] "
                    "[sharing it|using it as a sticker|laughing at it][ lol|].",
            "read_out": "[Let's|I'm gonna] read [your diary|your messages|your love letter|your poem] out [in "
                        "front of everyone|at lunch|to the whole class|on stream][, this is gonna be so funny|, "
                        "you can't stop me|].",
            "fake_account": "[We made|I made] a [fake account|parody account|page] [of|about] you {social} [and "
                            "everyone's following it|to post your ugly photos|and it's already got a hundred "
                            "followers][ lol|].",
            "told_secret": "I told [the whole class|everyone|your crush|the group chat] [your secret|what you "
                           "told me|that you still [wet the bed|sleep with a teddy|cry at night]][ lol|, they're "
                           "all laughing|, have fun tomorrow].",
            "record": "[Record|Film] {name:0} [falling over|crying|messing up {name:3} speech|getting told off] and "
                      "[send it to|post it in] the group chat[ lol|, it's gonna be jokes|].",
            "bag": "[Let's|We should] [tip out|empty] {name:0}'s [bag|pencil case] in front of [the whole class|"
                   "everyone] {time}[ and film {name:3} face|, it'll be hilarious|].",
            "nickname_public": "[Everyone start|Let's all start] calling {name:0} {mock_nickname} [in class|in the "
                               "chat|on stream][, {name:6} hate it|, make it stick|].",
            "stream_clip": "[Clip|Screenshot] {name:0} [raging|crying on stream|losing it] and [post it|spread it] "
                           "{social}[, everyone's gonna rip {name:2}|, {name:6} never stream again|].",
            "changing_room": "[Let's|We should] [hide {name:0}'s clothes|lock {name:0} out of the changing room|"
                             "throw {name:0}'s bag in the bin] after PE [and film it|and post it {social}|so "
                             "everyone sees].",
            "slow_clap": "[Everyone clap|Slow clap|Give a round of applause] when {name:0} [gets the answer wrong|"
                         "trips up|messes up] [again|in assembly|in class][, make {name:2} feel it|, louder|].",
            "ugly_poll": "[I made|We made] a poll {social} on whether {name:0} is [the ugliest|the weirdest|the most "
                         "{insult_adj}] in [the year|our class][ lol|], [{name:1} is winning by miles|already two "
                         "hundred votes|share it everywhere].",
            "play_recording": "[Play|Send] the recording of {name:0} [singing|crying|stuttering|begging] to the "
                              "whole [server|group chat|year][ again|], [everyone's gonna lose it|{name:6} never "
                              "show {name:3} face again|it's the funniest thing ever].",
        },
        # peers extorting money, items, favours
        "coercion": {
            "money": "[Bring me|Give me|Hand over] {money_amount} [tomorrow|every day|on Monday|by lunch] or "
                     "[{you_will} regret it|I'll tell everyone your secret|you'll get it at break|we'll post "
                     "that video].",
            "homework": "[Do|You're doing] my {subject} homework [for me|tonight|every week] or [everyone finds "
                        "out about your crush|I'm posting those screenshots|you know what happens|you're getting "
                        "battered].",
            "account": "Give me your {game} [login|password|account] or I'll [post your messages|tell everyone "
                       "your secret|make your life hell|get you kicked from the server|tell everyone what you "
                       "did].",
            "skins": "[Send|Gift] me [your best skins|{gift}|all your items] [now|tonight|by tomorrow] or I'll "
                     "[report your account|tell your {parent} what you did|post that clip|make sure everyone "
                     "hates you].",
            "steal": "If you [want to|wanna] [hang out with us|stay in the group|be our friend], you have to "
                     "[nick something from the shop|take money from your mum's purse|steal the answers from the "
                     "teacher's desk][, or you're out|, no excuses|].",
            "phone": "[Hand over|Give me] your [phone|headphones|{object}][, now| or I'll take it off you|, "
                     "don't make me ask again], and don't tell anyone.",
            "keep_quiet": "[Keep your mouth shut|Don't tell anyone|Don't say a word] about [what we did|the "
                          "money|this|what happened in the toilets] or [everyone will know your secret|we'll "
                          "make the rest of the year hell for you|you're next|you'll be sorry].",
            "share_or": "[Send us|Give us] [your {game} password|twenty quid|your lunch] or we'll [share|post|"
                        "send] [that embarrassing photo|your diary|the video] [to everyone|to the whole year|"
                        "{social}].",
            "dare": "[Do the dare|Eat it|Lick the floor] or we're [posting your secret|telling everyone|kicking "
                    "you out of the group][, your choice|, go on|].",
            "every_week": "From now on you [pay us|bring us] [a fiver|ten quid|your lunch money] every [week|"
                          "Monday|day][, {name}|], [or else|and if you tell anyone it's double|and don't even "
                          "think about telling].",
        },
    },
}
