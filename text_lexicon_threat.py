"""Threat structures for text_corpus.py: the speaker (or someone they send) will hurt the listener,
the listener's family or things. category -> subtype -> structure key -> template; data only, syntax
in text_lexicon.py.

Ids are "threat.subtype.key" and decide the held-out split by hash: add keys, never rename them.
Each sentence must read as a threat to a moderator on its own: where a first clause could be innocent
("Saw your mum at the shops today"), the menace that follows is required, not optional. The safe
neighbours (play threats about chips, "you're dead in the derby") are in text_lexicon_friendly.py
and text_lexicon_play.py. Non-graphic throughout.
"""

THREAT_STRUCTURES = {
    "threat": {
        # the speaker says they will do harm
        "direct": {
            "hurt_you": "[{i_will}|{i_will} actually|Swear down, {i_will}] {harm_act}[ {threat_when}|]"
                        "[, I promise you| and that's a promise| and nobody's gonna stop me|, I mean it|].",
            "dead_when": "[You're|You are] [dead|so dead|a dead man|finished|done for][, {name}|]. [Wait till I "
                         "catch you {time}|I'm coming for you {time}|The second you walk out of school, you're "
                         "done|When I find you, that's it|Nobody's gonna save you {time}].",
            "coming_for_you": "[I'm coming for you|I'm coming to find you|Me and my boys are coming for you|We're "
                              "coming for you] {time}[, and there's nowhere to hide|, so you'd better run|, and "
                              "nobody's gonna help you|, you little {insult}].",
            "jump_you": "[Me and the boys|Me and my mates|Me and my brothers|A few of us] are {gonna} jump you "
                        "[outside|near|round the back of] {place} {time}[, don't bother bringing anyone|, you "
                        "can't hide forever|].",
            "weapon": "[Next time I see you|When I catch you|If I see you at {place} again|Tomorrow] I'm "
                      "[bringing a knife|bringing my brother's bat|bringing something for you|not coming alone]"
                      "[, {name}|][, and you won't walk away from it|, and I'm using it|].",
            "know_where_visit": "I know where you [live|go to school|hang out|sleep at night], {name}, and I'm "
                                "[coming round|gonna pay you a visit|gonna make you pay|coming for you] {time}.",
            "property": "[{i_will}|One of these nights {i_will}] [burn your house down|smash every window in your "
                        "house|wreck your car|slash your bike tyres|destroy everything you own|torch your car]"
                        "[ while you sleep| with you inside| and you'll never know it was me|].",
            "family": "[{i_will} hurt|{i_will} go after|I'm gonna get] [your {parent}|your little brother|your "
                      "little sister|your whole family][ and make you watch| first| and it'll be your fault| "
                      "next|].",
            "beat_badly": "[{i_will}|We're gonna] [beat you|batter you|kick your head in] so [badly|hard] [you "
                          "won't be able to walk|your {parent} won't recognise you|you'll need a doctor|you'll "
                          "be eating through a straw|you'll be off school for a month][, {name}|].",
            "short_kill": "[{i_will}|Swear {i_will}] [kill you|end you|break your {body_part}|wreck you|hurt you]"
                          "[.| for real.| I'm not joking.|, {name}.|, you {insult}.]",
            "hunt": "I'm {gonna} [find you|hunt you down|track you down] and [hurt you|make you regret it|"
                    "finish this|make you wish you'd kept your mouth shut][, {name}|][, however long it takes|].",
            "kill_you": "[{i_will} kill you|I swear {i_will} kill you|{you_will} get killed|Next time I see you "
                        "{i_will} kill you][, {name}|]. [I'm not joking.|I know where you live.|Don't think I "
                        "won't.|You've been warned.]",
            "dead_meat": "[You're dead meat|You're a dead man walking|Your days are numbered][, {name}|]"
                         "[, I swear down|. I'm not even joking.|. Ask anyone what I do to people like you.|].",
            "snap": "{i_will} [[break|smash|crush] your {body_part}|snap your [arm|wrist|fingers|neck]][ "
                    "{threat_when}|][, {name}|][, and I'll enjoy it|, watch me|].",
            "punch": "{i_will} [punch you|slap you|kick you|headbutt you|deck you|smack you] [so hard you'll see "
                     "stars|into next week|in the face|in the mouth|till you cry][ {threat_when}|][, {name}|].",
            "get_you": "[I'm gonna get you|I'll get you|I'm gonna make you pay] [for this|for what you said|for "
                       "snitching][, {name}|], [and it's gonna hurt|and you won't see it coming|just wait|you can "
                       "count on it].",
            "fight_after": "[You and me|Me and you], [after school|{time}|at {place}]. [I'm gonna batter you.|Bring "
                           "whoever you want, you're still getting hurt.|Don't bother running, I'll catch you.|I'm "
                           "gonna break your {body_part}.]",
            "pieces": "{i_will} [rip you apart|tear you to pieces|beat you black and blue|beat you senseless]"
                      "[ {threat_when}|][, {name}|][, you {insult}|].",
            "hospital": "[You're ending up|I'm putting you|{you_will} end up] in [hospital|a wheelchair|intensive "
                        "care] [after this|{time}|when I see you][, {name}|][, I promise you|].",
            "message": "[Read this carefully.|Listen carefully.|Screenshot this if you want.] {i_will} {harm_act} "
                       "[{threat_when}|{time}][, {name}|]. [I don't care who you tell.|Nobody can protect you.|"
                       "That's a promise.]",
            "hands_on": "[Wait till I get my hands on you|When I get hold of you|Once I catch you][, {name}|], "
                        "{i_will} [{harm_act}|make you wish you'd never been born|make sure you can't walk].",
            # round two: wording unlike the structures above (coming round, voice chat to real life, oaths)
            "coming_round": "[I'm coming round|I'm coming to yours|I'm on my way to your house] [tonight|right "
                            "now|later][, {name}|], and when I get there {i_will} {harm_act}.",
            "vc_real_life": "[Keep talking|Keep laughing|Keep running your mouth] in [voice chat|the lobby|the "
                            "server][, {name}|], [I know your real name|I know what school you go to|it's not just "
                            "a game now], and {i_will} {harm_act} {threat_when}.",
            "oath": "[I promise you|Mark my words|I swear on my life|Swear down], {i_will} {harm_act} "
                    "{threat_when}[, {name}|]. [Nobody's gonna stop me.|Tell who you want.|That's not a joke.]",
            "not_joking": "I'm not joking[, {name}|], [{i_will} {harm_act}|you're getting hurt|you're actually "
                          "dead] [{threat_when}|{time}]. [Don't laugh, I mean it.|Ask anyone, I do what I say.|"
                          "Screenshot this if you want.]",
        },
        # harm promised if the listener does (or fails to do) something
        "conditional": {
            "tell": "If you [tell anyone|tell a teacher|tell your {parent}|snitch|go to the police|report me|say "
                    "one word][ about this| about what happened| about me|], [{i_will} {harm_act}|{you_will} "
                    "[regret it|get hurt|wish you hadn't|be sorry]|I'll make sure you [regret it|never walk "
                    "again|get hurt|can't show your face at school]].",
            "block": "[Block me|Ignore me|Leave me on read|Unfriend me|Mute me] [again|one more time|] and "
                     "[{you_will} regret it|I'll come to your house|I swear I'll find you|see what happens to "
                     "you|{i_will} {harm_act}].",
            "show_face": "[Show your face at|Turn up at|Come anywhere near] {place} [again|{time}] and [{i_will} "
                         "{harm_act}|you won't be walking home|you're getting hurt|you'll be leaving in an "
                         "ambulance].",
            "say_again": "Say that [again|one more time|to my face|about my {parent} again] and [{i_will} "
                         "{harm_act}|{you_will} be picking your teeth up off the floor|see what happens|you're "
                         "done].",
            "pay": "[If you don't|Unless you] [pay me back|bring the money|give me what you owe me|bring me "
                   "{money_amount}] [by Friday|by tomorrow|by tonight|by the end of the week|by Monday], "
                   "[{i_will} {harm_act}|you're getting hurt|I'm coming to your house|your {parent} is next].",
            "leave_me": "If you [leave me|break up with me|go out with him|talk to her again|ever cheat on me], "
                        "[{i_will} {harm_act}|{you_will} regret it for the rest of your life|I'll make sure no "
                        "one else ever wants you|I'll make your life hell].",
            "game_report": "[Report me|Kick me from the server|Ban me|Beat me] [again|one more time] and I'll "
                           "[find out where you live|get your address|track you down] and [{harm_act}|make "
                           "you pay|show up at your door].",
            "one_more": "One more [word|message|comment|time][ out of you| from you|] and [you're dead|{i_will} "
                        "{harm_act}|I swear you're getting hurt|I'm coming round].",
            "kill_if": "If you [ever come near my sister again|touch my brother again|show up at my house again|"
                       "report me again], I'm {gonna} kill you[, {name}|][, and I mean it|, I'm dead serious|].",
            "stay_away": "If you don't [stop talking to my girlfriend|stop posting about me|leave my brother "
                         "alone|stay away from {name}], [{i_will} {harm_act}|{you_will} [get hurt|regret it]|"
                         "you're dead].",
            "snitch_again": "[Snitch|Grass] on me again and [{you_will} [get hurt|regret it]|{i_will} "
                            "{harm_act}|I'll make sure you can't talk for a week].",
            "laugh_again": "[Laugh at me|Post about me|Mention my name] one more time[, {name},|] and [{i_will} "
                           "{harm_act}|you'll find out what happens|you won't make it home].",
            "unless_delete": "[Unless you|If you don't] [delete that post|take that video down|say sorry in front "
                             "of everyone|give me my phone back] [by tonight|right now|by tomorrow], {i_will} "
                             "{harm_act}[, {name}|].",
            "next_time_you": "Next time you [look at me like that|talk about my family|push in front of me|touch my "
                             "stuff], {i_will} {harm_act}. [No warnings.|That's a promise.|You've been told.]",
            "come_near_again": "[Come near|Go near|Talk to|Message] my [girlfriend|boyfriend|little brother|"
                               "sister] again and [you'll be eating through a straw|{you_will} need a new face|"
                               "{i_will} {harm_act}][, {name}|].",
            "go_on_tell": "Go on, tell [the teacher|your {parent}|the mods|the police][, {name}|]. [See how safe "
                          "you feel walking home after.|They can't watch you forever.|See what happens to you after "
                          "school.]",
            "see_again": "If I see you [at {place}|in this server|on my street|near my house] again[, {name}|], "
                         "[you're not walking away|{you_will} get hurt|{i_will} {harm_act}|you'll be carried home].",
        },
        # harm from others, or harm described without "I"
        "indirect": {
            "someone": "[Someone's|Somebody's|Someone is] {gonna} [hurt you|get you|catch you|sort you out] "
                       "[on your way home|after school|when you least expect it|one of these days|soon]"
                       "[, and it won't be pretty|, and I'll be laughing|, and nobody will help you].",
            "ally": "My {ally:0} {ally:1} where you live[, {name}|], and {ally:2} [coming for you|gonna sort you "
                    "out|not happy with you|waiting for you] {time}.",
            "people_like_you": "[People like you|Kids like you|Snitches like you|Grasses like you] [get hurt|end "
                               "up in hospital|don't last long|get what's coming to them|get stabbed] [round "
                               "here|at this school|in this area][, remember that|].",
            "something_bad": "Something bad is {gonna} happen to you [{time}|soon|at {place}][, and you'll know "
                             "it was me|, don't say I didn't warn you|, trust me].",
            "passive": "{you_will} [get hurt|get jumped|get battered|get what's coming to you|end up in "
                       "hospital|get your head kicked in] [{time}|at {place}|before the week's out][, and "
                       "nobody's gonna help you|, I'll make sure of it|, mark my words|].",
            "end_up_dead": "People who [snitch on me|cross me|grass on us] [end up dead|get killed|disappear] round "
                           "here[, {name}|]. [Just saying.|Think about it.|Your choice.]",
            "relay": "[Tell {name:0}|Warn {name:0}|Let {name:0} know] {name:5} [getting jumped|getting battered|dead|"
                     "getting done in] [{time}|at {place}][, from me|].",
            "paid_someone": "[I've got people|I've got someone|I've got my cousins|My mates are] [watching your "
                            "house|waiting for you at {place}|following you home][, {name}|][, so enjoy your "
                            "freedom while it lasts|, so don't get comfy|].",
            "paid": "I've paid [someone|a couple of lads|some older kids] to [sort you out|wait for you at {place}|"
                    "teach you a lesson] {time}[, {name}|][, enjoy|, good luck|].",
            "whole_school": "The whole [estate|year|school] is {gonna} [jump you|batter you|come for you] "
                            "{time}[, I made sure of it|, I told them what you did|].",
            "crew_knows": "[Everyone knows|My whole crew knows|The older lot know] what you did[, {name}|], "
                          "[{you_will} get what's coming|good luck walking home|you won't make it to the end of "
                          "the week].",
            "told_ally": "I told my {ally:0} what you said[, {name}|], and {ally:2} [coming to see you "
                         "{time}|gonna have a word with you {time}|looking for you {time}|not happy, not happy "
                         "at all]. [Good luck.|I wouldn't go out if I were you.|Hope you can run.]",
            "if_i_were_you": "If I were you I'd [stop talking|watch who you mess with|delete that post|stay home "
                             "{time}], [because my {ally:0} {ally:1} where you live|because people round here "
                             "don't forget|because the older lot are asking about you].",
            "nobody_around": "Nobody's gonna be around to help you at {place} {time}[, {name}|]. [Just saying.|"
                             "Remember that.|Think about it.]",
            "they_find": "[They|My mates|The boys|My cousins] are gonna find you[, {name}|], and [I won't stop "
                         "them|I can't promise what they'll do|it won't be pretty|nobody will stop them].",
            "what_happens": "You know what happens to people who [cross us|report us|talk to the police|snitch]? "
                            "[They don't come back to school.|Ask the last kid.|They end up in hospital.|They "
                            "have accidents.]",
            "property_others": "Someone's gonna [put a brick through your window|key your {parent}'s car|slash "
                               "your tyres|set your bins on fire] [one night|soon|{time}][, funny how that "
                               "happens|, don't blame me|, just saying].",
            "family_pays": "Your [family|{parent}|little brother|little sister] [will pay for this|is gonna pay "
                           "for what you did|will be the one who gets hurt][, {name}|]. [Remember that.|Not you, "
                           "them.|Your choice.]",
            "have_accident": "Wouldn't want you to have an accident [on the stairs|on your way home|at {place}|"
                             "crossing the road][, {name}|]. [My brother's got a bad temper.|These things happen "
                             "to snitches.|Lots of accidents round here lately.]",
            "ambulance": "[Better|You'd better] [get your {parent} to book you a hospital bed|have an ambulance on "
                         "speed dial|say goodbye to your {parent}] [{time}|after what you did][, {name}|].",
            "waiting_outside": "[My brother's|My cousin's|My dad's mate is] [waiting outside the gates|parked at "
                               "{place}|outside your house] [for you|right now][, {name}|]. [Good luck getting "
                               "home.|He's been told what you said.|Run if you want, he's faster.]",
            "word_is": "Word is [the whole estate|the older lot|half the year] [wants to batter you|is waiting for "
                       "you|is out to get you] [{time}|at {place}][, {name}|]. [I'd stay inside.|I wouldn't come in "
                       "tomorrow.|Can't help you now.]",
            "not_there": "[Your {pet}|Your bike|Your mum's car] [might not be there|won't look the same|might go "
                         "missing] when you get home[, {name}|]. [Shame that.|Think about what you said.|Should've "
                         "kept quiet.]",
            "nobody_hear": "[Nobody will hear you|No one's gonna help you|Nobody will see] [at {place} {time}|down by the "
                           "canal {time}|after dark][, {name}|]. [Remember that.|The lads will make sure.|Hope you "
                           "can run.]",
        },
        # a threat that never says the harm outright
        "veiled": {
            "watch_back": "[You'd better|Better|You should] [watch your back|watch yourself|keep looking over "
                          "your shoulder|sleep with one eye open][ from now on| if I were you|][, {name}|].",
            "shame_if": "[{name}, it'd be a shame|It'd be a shame|It would be a real shame|Shame] if something "
                        "[happened to|bad happened to] {loved_thing:0}[ on the way home| one of these nights| "
                        "{time}|].",
            "nice_house": "[Nice|Lovely] {loved_thing:2} you've got[, {name}|]. [Be a shame if anything happened "
                          "to {loved_thing:1}.|Be a real shame if something happened to {loved_thing:1}.|I'd "
                          "keep an eye on {loved_thing:1} if I were you.]",
            "i_know": "I know [where you live|what time you finish school|which bus you get home|what car your "
                      "{parent} drives|where your little sister goes to school|which window is your bedroom]"
                      "[, {name}|]. [Just saying.|Think about that.|Remember that next time you open your "
                      "mouth.|Sleep well.]",
            "see_you": "See you [{time}|soon|at {place}][, {name}|]. [I'll be waiting, and you know what's "
                       "coming.|Come alone.|Don't bother bringing your friends, they won't help you.|You won't "
                       "be walking home.]",
            "remember_last": "[Remember|Don't forget] what happened to the last [kid|person|guy|girl] who "
                             "[snitched on me|crossed me|reported me|talked back to me|grassed on us][, {name}|].",
            "accidents": "Accidents happen[, {name}|]. [Especially to people who talk too much.|Especially on "
                         "dark roads.|Keep your mouth shut and you'll be fine.|Especially to snitches.]",
            "sleep": "Sleep [well|tight] tonight[, {name}|]. [While you still can.|I know which window is "
                     "yours.|Enjoy it while it lasts.|Lock your doors.]",
            "watching": "[I'm watching you|I'm always watching|I'm outside right now|I'm parked outside your "
                        "house|I can see your window from here][, {name}|]. [Nice {clothing:0} by the way.|Tell "
                        "your {parent} I said hi.|You should close your curtains.|Don't bother calling anyone.]",
            "enjoy": "[Enjoy|Make the most of] [your last week at this school|the weekend|your little life|"
                     "walking around] while you [can|still can][, {name}|].",
            "lucky": "You're lucky [there were teachers around|your brother was there|I didn't catch you] "
                     "[today|yesterday]. [Next time you won't be.|It won't happen twice.|That luck's running "
                     "out.]",
            "know_family": "[I know your {parent}|I know where your {parent} works|I've seen your little sister "
                           "at {place}]. [It'd be a shame if they got dragged into this.|Think about them before "
                           "you say anything else.|Keep that in mind, {name}.]",
            # knowledge of the listener's life, with menace
            "saw_parent": "Saw your {parent} at {place} [today|this morning|earlier][, {name}|]. [Tell them I "
                          "said hi ;)|Say hi from me.] [I know where you all are now.|Funny how small this town "
                          "is.|They didn't even notice me.|Next time I'll do more than look.]",
            "sibling_school": "I know what time your [little sister|little brother|cousin] [finishes school|gets "
                              "out of {school_name}|walks home from practice][, {name}|]. [Be a shame if anything "
                              "happened on the way.|Keep talking and see what happens.|Think about that before you "
                              "report me.|Shame if they had to walk home alone.]",
            "talk_regret": "People who [talk|snitch|run their mouth|go to the teachers] [end up regretting it|tend "
                           "to have accidents|don't stay healthy for long][, {name}|]. [Just a friendly warning.|"
                           "I'd think carefully.|Your choice.]",
            "walk_careful": "I'd be careful walking home [past {place}|down {street}|on your own] if I were you"
                            "[, {name}|]. [Just saying.|It gets dark early now.|You never know who's waiting.]",
            "account_pity": "[Shame if your {game} account got hacked|Shame if your phone went missing|Shame if "
                            "your bike got smashed up|Shame if all your photos got leaked] [soon|one of these "
                            "days|any day now][, {name}|]. [Just saying.|Think about it before you report "
                            "me.|Accidents happen.]",
            "not_over": "This isn't over[, {name}|]. [Not even close.|You'll see.|I've got a long memory.|I know "
                        "where to find you.]",
            "wouldnt_go": "I wouldn't [go to {place} [tonight|this weekend]|walk home alone [tonight|after "
                          "school]|leave your bike outside [tonight|again]|come to school [tomorrow|on Monday]] "
                          "if I were you[, {name}|]. [Just some friendly advice.|Trust me.|Things happen.]",
            "last_warning": "[This is your last warning|Final warning][, {name}|]. [Next time I won't be asking "
                            "nicely.|You know what happens next.|After this I stop talking.]",
            "parent_late": "Heard your {parent} works [late|nights|weekends][, {name}|]. [So you'll be home alone "
                           "then.|Good to know.|Might pop round.|Nice and quiet at yours, then.]",
            "routine": "You always [take the shortcut through {place}|walk your dog at seven|get the last bus "
                       "home|leave practice on your own], don't you[, {name}|]? [Be careful.|Funny what you notice "
                       "when you're paying attention.|Might want to change that.]",
            "posted_house": "Nice [front door|garden|bedroom window] in that [photo|pic] you posted[, {name}|]. "
                            "[Easy to find, that street.|I know exactly where that is now.|Be a shame if someone "
                            "paid a visit.]",
            "saw_you_out": "Liked your {clothing:0} at {place} [today|yesterday][, {name}|]. [I was right behind "
                           "you.|You didn't see me, did you?|Next time you won't walk off so fast.]",
            "tick_tock": "[Tick tock|Clock's ticking|Time's running out][, {name}|]. [You know what you did.|You've "
                         "got till Friday.|I haven't forgotten.] [And I'm coming for you.|And neither have my "
                         "mates.|When it runs out, you're done.]",
            "say_prayers": "[Better start praying|Say your prayers|Say goodbye to your {parent}][, {name}|]. "
                           "[{threat_when:0} it's over for you.|Tomorrow's gonna be a long day for you.|It's only a "
                           "matter of time.]",
            "not_a_game": "[It's not just a game anymore|This isn't a game now|Logging off won't save you]"
                          "[, {name}|]. [I know your real name and your school.|I've got your address.|I know which "
                          "town you're in.] [See you soon.|Watch yourself.|Sleep tight.]",
            "own_sake": "[You'd better keep quiet|Keep your mouth shut|Don't say a word] about [what you saw|what "
                        "happened|me][, {name}|]. [For your own sake.|For your family's sake.|If you know what's "
                        "good for you.]",
            "read_address": "[{street}, the house with the blue door, isn't it|{street}, number twelve, right|"
                            "You're on {street} now, aren't you][, {name}|]? [Don't bother locking the door.|I'll be "
                            "paying you a visit, and it won't be friendly.|You won't see me coming.]",
        },
    },
}
