"""Hard negatives with violent words and a harmless meaning: violence inside a game, sports rivalry,
idioms and hyperbole ("my mum's gonna kill me", "you murdered that level"). Safe structures for
text_corpus.py: category -> subtype -> structure key -> template; data only, syntax in text_lexicon.py.

Ids are "hard_negative.subtype.key" and decide the held-out split by hash: add keys, never rename
them. Each sentence must be safe on its face: the target is a game character, a team, a level or a
figure of speech, never a real person's body, home or family.
"""

PLAY_STRUCTURES = {
    "hard_negative": {
        # violence inside a game
        "gaming_violence": {
            "one_shot": "[Kill|Finish|Shoot] {enemy}[, he's one shot|, she's low|, they're weak|, he's cracked]!",
            "destroy_you": "[I'm gonna|I'll] [destroy|wreck|end] you in {game} [later|tonight|after school|in the "
                           "next round|tomorrow][, get ready|, bring your "
                           "best team|, no mercy lol|].",
            "camping": "[He's|She's|They're|Someone's] [camping|hiding] {callout}, [throw a grenade|flank left|"
                       "push them now|I'll snipe from here|rush them].",
            "know_where": "I know where you are[, {name}|], you're {callout}[, you're dead|, I'm coming for you|, "
                          "nice try] lol.",
            "impostor": "[Stab|Kill|Vote out] [him|her|{name}][ in the back|], [he's the impostor|she's "
                        "definitely sus|it's Among Us, that's the point].",
            "raid": "We [burned down|blew up|raided] their [base|village|castle] in {game} [last night|earlier]"
                    "[, it was hilarious|, they're so mad|].",
            "headshot": "[Nice|Sick|Insane] [headshot|triple kill|clutch][, {name}|], you [absolutely murdered "
                        "them|wiped the whole team|destroyed them]!",
            "revive": "[Revive me|I'm down|Help], [they shot me|the boss killed me|I got sniped] [again|from "
                      "behind][, this game hates me|].",
            "hunt": "[Next round|Next game] I'm [hunting you down|coming for you|gonna find you] first[, {name}|],"
                    " [no mercy|watch your back|you're going down] [lol|haha].",
            "bomb": "[Plant the bomb|Defuse it|Blow up the door|Drop the nuke] [on A|on B|now][, I'll cover you|, "
                    "go go go]!",
            # kill feeds, respawns, callouts, bosses, monsters: the target is a character in a game
            "kill_feed": "[{enemy} just killed me|I got killed by {enemy}|{name} killed me] [again|from across "
                         "the map|through the wall|with a knife][, this is rigged|, how|, unreal|].",
            "respawn": "[I'm dead|I died|They got me], [respawning in ten|wait for my respawn|I'll respawn at "
                       "base|give me a sec to respawn][, {name}|].",
            "push_callout": "[Push|Rush|Flank|Hold] {callout}[ and kill anyone who peeks| and clear it| on three|]"
                            ", [I'll cover you|I'll smoke it|I'll heal you|I've got your back].",
            "wipe_them": "[Let's|We're gonna] [destroy|wipe|slaughter|annihilate] [them|this team|the whole "
                         "lobby|the other squad] [this round|next round|in ranked][, stay together|, full send|, "
                         "no mercy|]!",
            "murdered_level": "I [murdered|destroyed|demolished|absolutely killed] [that level|the boss|the raid|"
                              "the speedrun|the final stage] [in {game}|last night|][ lol|][, first try|, "
                              "finally|, new personal best|].",
            "killcam": "Watch the killcam[, {name}|], I [shot|sniped|stabbed|got] [him|her|them] [through the "
                       "smoke|mid-air|from the roof|with my last bullet]! [Clip it!|Best kill ever.|No way.]",
            "monsters": "[The zombies|The monsters|The creepers|The raiders] [keep killing us|broke into the base|"
                        "blew up my house|wiped the whole squad] [on wave twenty|in {game}|again][, we need better "
                        "guns|, I'm raging lol|, rebuild time|].",
            "hunt_last": "[Go hunt|Let's hunt down|Track down] [the last team|the last squad|{enemy}] [before the "
                         "storm closes|before the circle closes|before they heal|before they revive].",
            "team_kill": "[Sorry|My bad|Oops], I [team killed you|blew you up|shot you by accident][, {name}|]"
                         "[ lol|], [I thought you were an enemy|the grenade bounced|I'll revive you|won't happen "
                         "again].",
            "kill_count": "I got [twenty|thirty|fifteen|forty] kills [that round|in one game|last night] in "
                          "{game}[, new record|, carried the whole team|, my hands are shaking|].",
            "spawn_camp": "[They're|They keep] spawn camping us[, {name}|], [let's go round the back and take "
                          "them out|switch loadouts and kill them|leave and rejoin|throw everything at the door].",
            "one_v_one": "[Come 1v1 me|Let's 1v1] in {game} [tonight|after school|right now][, {name}|], [I'll "
                         "destroy you|loser buys the pizza|I've been practising|winner gets bragging rights]"
                         "[ lol|].",
            "horror_game": "[That monster|The killer|The ghost|The thing in the vents] in {game} [chased me|got "
                           "me|killed me] [three times|in the basement|again][ and I actually screamed|, I'm not "
                           "playing alone again|, my heart is racing|].",
            "boss_fight": "[Kill|Finish|Take down] the boss [before it heals|from behind|while it's stunned], [aim "
                          "for the head|it's weak to ice|I'll tank|use your ultimate]!",
            "loot_body": "[Loot his body|Grab his loot|Take their stuff], [he had a gold gun|they dropped a med "
                         "kit|free shields][ lol|][, then heal up|].",
            "weapon_meta": "[This sniper|The shotgun|The new pistol|That rifle] is [so broken|insane|way too "
                           "strong] in {game}[, it one-shots everyone|, they need to nerf it|, I'm maining it now].",
            # round two: revives, streaks, ambushes, combos, hit registration
            "bleeding_out": "[Someone|Anyone|{name}] [res|revive|heal] me, I'm [bleeding out|getting destroyed|"
                            "about to die] {callout}[, quick|, please|]!",
            "streak": "[Ten|Twenty|Fifteen] kill streak[, {name}|]! [Call in the airstrike|Drop the nuke|Launch "
                      "the chopper] [now|on them|on B]!",
            "all_die": "We're [all gonna die|so dead|getting wiped] [if we push|if we stay here|in this circle] "
                       "{callout}[, fall back|, rotate now|, heal up first].",
            "finish_combo": "[Finish him|Fatality|Hit him again] [lol|haha], [you've got the combo|press the "
                            "special|he's on no health] in {game}!",
            "ambush": "[Let's|We should] [ambush|jump|trap] [them|the other squad|{enemy}] {callout}[ when they "
                      "land| when they rotate| on the next push], [they won't see it coming|I'll bait, you shoot|"
                      "wait for my call].",
            "hitreg": "I [shot him|emptied a whole mag into him|hit him like six times] and he [didn't die|still "
                      "lived|healed], [this game is rigged|the hitreg is so bad|what is this lag].",
            "sims": "I [drowned|trapped|set fire to] my [Sim|Sims family|villager] [lol|haha], [it was an "
                    "accident|they deserved it|the pool ladder vanished].",
            "third_party": "[They're|Someone's] third partying us {callout}[, {name}|], [kill the weak one first|"
                           "pop your shield|let's wipe both teams]!",
        },
        "sports_rivalry": {
            "destroy_team": "[We're gonna|We'll] [destroy|smash|batter|thrash] {team} on [Saturday|Sunday]"
                            "[, they've got no chance|, mark my words|].",
            "fans": "{team} [fans|players] are [the worst|so annoying|unbearable][ lol|], [we're gonna crush "
                    "them|can't wait to beat them|this is our year].",
            "defence": "Our [defence|keeper|midfield] got [killed|murdered|destroyed|ripped apart] in the second "
                       "half[, brutal|, so painful to watch|].",
            "coach": "[Coach said|Coach told us] to [attack them hard|hit them hard in the tackles|go for the "
                     "throat|show no mercy] from the first whistle.",
            "lose": "If [we lose|{team} win] [again|tonight], I'm [gonna cry|never watching again|throwing my "
                    "telly out the window|going to bed for a week].",
            "battered": "[You|Your team] [got|are getting] [battered|thrashed|wrecked|murdered] [on Sunday|this "
                        "weekend|tonight] [mate|lol][, no hard feelings|, see you at the rematch|].",
            "derby": "[You're|Your lot are] [dead|finished] in the [derby|final|rematch] [on Saturday|this "
                     "weekend|on Sunday|tomorrow night][, {name}|], [my team's unstoppable|loser buys the chips].",
            # trash talk about teams and matches; the harm is a score
            "trash_team": "[Your team|{team}] [couldn't beat|would lose to] [a pub team|my little brother's team|"
                          "us on a bad day] [lol|mate], [see you on Saturday|enjoy the season|we'll go easy on "
                          "you, maybe].",
            "crush_final": "We're gonna [crush|flatten|annihilate|bury] [them|{team}|the other school|the year "
                           "elevens] [in the final|on Saturday|at sports day][, they won't know what hit them|, "
                           "no mercy|, I can feel it]!",
            "tackle": "[Their striker|That defender|The keeper|Their winger] [nearly killed me|took me out|"
                      "flattened me] in that tackle[, still won though|, all part of the game|, I'll live|, fair "
                      "play].",
            "ref": "The ref [is blind|should be sacked|ruined the game|needs glasses][ lol|], [how was that not a "
                   "penalty|we were robbed|I'm fuming|that was never offside].",
            "gloat": "[Enjoyed|Did you enjoy] the [derby|match|game on Saturday][, {name}|]? [Four nil, I'll never "
                     "let you forget it.|Told you we'd batter you.|That was a massacre.] [Rematch next season.|"
                     "Loser buys the chips.|]",
            "hit_them": "[Hit|Smash] them [hard|early] in the [tackles|scrum|rucks][, fair but hard|, no cards|, "
                        "coach's orders]!",
            "kill_shot": "[Kill|Smash|Spike] the [serve|ball|shot] [down the line|cross court|into the corner]"
                         "[, {name}|]! [Great point!|That's it!|Again!]",
            "war_pitch": "It's [war|a bloodbath|carnage] on the pitch [every derby|every time we play them|on "
                         "Saturday], [can't wait|best match of the year|bring it on].",
            "going_down": "[You're going down|Your team's going down|You lot are finished] on [Saturday|Sunday]"
                          "[, {name}|] [lol|mate][, see you at the match|, loser buys the drinks|, no hard "
                          "feelings|].",
            "sports_day": "[I'm gonna destroy you|I'll smash you|You've got no chance] in the [hundred metres|"
                          "relay|egg and spoon race|tug of war] at sports day[, {name}|] [lol|haha].",
            "massacred": "[We|They] got [murdered|slaughtered|massacred|killed] [on penalties|in the second half|"
                         "five nil][, {team} are finished|, I can't watch anymore|, worst game ever].",
            "jugular": "[Coach|The manager] said [kill them on the counter|go for the jugular|bury them early] "
                       "[on Saturday|in the final], [and we did|it worked|four nil].",
            "ankles": "[{name}|He|She] [broke my ankles|broke your ankles|absolutely broke my ankles] with that [crossover|"
                      "skill move|step-over][ lol|], [so clean|I'm still on the floor|replay it]!",
            "year_tens": "We're gonna [beat|batter|smash] [them|{team}|the year tens] [in the semi|at netball|at "
                         "five-a-side] {day}[, bring everyone|, they're going down|, I can feel it].",
            "sparring": "[I got knocked out|She knocked me down|I got punched in the face] at [boxing|karate|"
                        "kickboxing] [training|sparring] [lol|today][, still had fun|, coach said good guard "
                        "though|, back next week].",
            "man_mark": "[Mark|Man-mark|Shadow] their [striker|number ten|best player] and [don't let them "
                        "breathe|kill the game|shut them down][, {name}|]!",
            "bloodbath": "[That was|It was] a [bloodbath|massacre|slaughter|execution] [lol|honestly], [eight nil|"
                         "we won by forty points|three sets to nil] [against {team}|at the weekend][, their keeper "
                         "cried|, nobody could stop us|].",
        },
        # hyperbole and idioms that sound violent
        "idiom_hyperbole": {
            "mum_kill": "My {parent} is {gonna} kill me [if I'm late again|if I fail this test|when they see my "
                        "room|if I lose another phone].",
            "murder_food": "I could [murder|kill for] {food} right now.",
            "homework": "This {subject} [homework|project|revision] is [killing me|torture|the death of me].",
            "dying": "I'm [literally dying|dead|crying], that [video|joke|meme] is so funny.",
            "heat": "[This heat|This traffic|This queue|This headache] is [killing me|unbearable|the worst].",
            "break_leg": "[Break a leg|Knock 'em dead|Go smash it] [at the audition|in the show|tonight|in your "
                         "exam][, {name}|]!",
            "sibling": "[I'm gonna kill my brother if he eats my {food} again|I'm gonna kill my sister if she "
                       "takes my charger again|I'll murder my cousin for reading my messages][ lol|, honestly|].",
            "lose_it": "I'm gonna [lose it|scream|throw my laptop out the window] if [the bus is late again|this "
                       "page doesn't load|one more person asks me that].",
            "killed_it": "You [absolutely killed it|smashed it|destroyed it] [at the concert|in the match|on "
                         "stage|in your exam][, {name}|]!",
            "sore": "My [legs|arms|back] [hurt|still hurt] from {sport}[ yesterday| on Monday|], [I can barely "
                    "walk|I'm never doing that again|coach went so hard].",
            "aching": "[My legs hurt|My arms hurt|My whole body hurts|Everything hurts] after [{sport}|that run|"
                      "training], [coach showed no mercy|I can barely move|I'm dying].",
            "dead_tired": "[I'm dead tired|My legs are dead|I'm completely destroyed] after [{sport}|that run|PE|"
                          "training].",
            "killing_it": "You're [killing it|smashing it|on fire] [at {sport}|in {subject}|this season|with your "
                          "{hobby}][, {name}|][, keep it up|, so proud|]!",
            "died_laughing": "I nearly died laughing when [the teacher fell off his chair|the dog stole the pizza|"
                             "{name} walked into the door|the projector blew up], [I'm still crying|I can't "
                             "breathe|best day ever].",
            "kill_time": "[We've got an hour to kill|Just killing time] [before the film|at {place}|till the bus "
                         "comes][, anyone want to play {game}?|, anyone about?|, so bored].",
            "dying_to": "I'm dying to [watch the new season of {show}|try that new place by {place}|go to the "
                        "{artist} concert|see your new puppy].",
            "exam_murdered": "That {subject} [exam|test|mock] [murdered me|destroyed me|absolutely killed me|was "
                             "brutal][, I'm dead|, never again|, I want to cry|].",
            "shoot": "[Shoot|Fire away|Go on, shoot], [what did you want to ask?|I'm listening.|what's the "
                     "question?]",
            "hit_up": "[I'll hit you up|Hit me up|Shoot me a message] [later|{time}|when you're free][, {name}|].",
            "bombed": "I totally [bombed|flopped|died on stage] [in my presentation|at the audition|in the "
                      "{subject} test|at the talent show][ lol|, so embarrassing|, never again].",
            "dead_body": "Over my dead body [am I wearing that|am I eating that|am I doing this homework today|is "
                         "he getting the last slice][ lol|, Mum|].",
            "strangle_thing": "[I could strangle my brother, he keeps changing the channel|I could throttle my "
                              "sister, she used all the hot water|I could strangle this printer, it keeps "
                              "jamming|I could throttle the wifi, it's so slow][ lol|, honestly|].",
            "killing_me": "You're killing me[, {name}|] [lol|haha], [that's the funniest thing I've heard all "
                          "day|stop, I can't breathe|I'm crying].",
            "phone_blew_up": "My phone [blew up|exploded|went mental] with [notifications|messages] [after that "
                             "post|on my birthday|last night][ lol|].",
            "bite_head": "My {parent} [nearly bit my head off|went mental at me|blew up at me] [for being "
                         "late|about my room|when I broke the vase][ lol|, fair enough|].",
            "dead_phone": "My phone's [dead|about to die|on one percent], [I'll message you when I'm home|can I "
                          "charge it at yours?|if I go quiet that's why].",
            "slayed": "You [slayed|absolutely slayed|ate] [that outfit|the presentation|the audition|that song]"
                      "[, {name}|]! [Absolute icon.|Obsessed.|So proud.]",
            "scared_to_death": "That [film|video|jump scare|haunted house] [scared me to death|nearly gave me a "
                               "heart attack|scared the life out of me][ lol|], [I'm sleeping with the light on|"
                               "never again|let's watch another one].",
            "kill_for": "I'd kill for [a nap|a day off|a cup of tea|five more minutes in bed|a snow day] right "
                        "now[ lol|].",
            "kill_for_coffee": "I [could kill for|would kill for|would murder] [a coffee|a nap|a cup of tea|a day "
                               "off|{food}] [right now|after that|lol].",
            "traffic_murder": "[This traffic|The commute|Getting across town|Parking here] is [murder|an absolute "
                              "killer|a nightmare|killing me] [today|at this time|][, I'll be late|, sorry|, save me "
                              "a seat].",
            "knock_dead": "[Go knock them dead|Go kill it|Slay] [at your interview|in the final|at the recital|on "
                          "your first day][, {name}|]! [You've got this.|So proud of you.|Tell me everything "
                          "after.]",
            "own_foot": "I [shot myself in the foot|dug my own grave] [by telling Mum I'd do the dishes|by "
                        "volunteering|when I said I'd help][ lol|], [now I'm stuck|never again].",
            "die_embarrassed": "I [wanted to die|nearly died|could have died] of embarrassment when [my {parent} "
                               "waved at me outside school|I called the teacher Mum|I fell up the stairs in front "
                               "of everyone][ lol|].",
            "it_kills_me": "[It kills me|It's killing me] that [we lost|I missed it|the shop's shut|they cancelled "
                           "{show}][, honestly|, so gutted|].",
            "slayed": "[You slayed|You ate|You killed] [that outfit|that song|that performance|that presentation]"
                      "[, {name}|]! [No crumbs.|Iconic.|Obsessed.]",
            "murder_mystery": "[We're doing|Come to] a murder mystery [party|night] at mine {day}[, you're the "
                              "butler|, dress up|, someone gets killed off in the first hour lol].",
            "bite_bullet": "[Just bite the bullet|Pull the trigger|Take the shot] and [ask them out|buy the tickets|"
                           "send the email|book it][, {name}|], [what's the worst that can happen|you'll regret it "
                           "if you don't|I'm rooting for you].",
            "scared_death": "I was scared to death [on the ghost train|in that horror film|on the big "
                            "rollercoaster][ lol|], [never again|{name} was screaming too|best day ever].",
        },
    },
}
