"""Hard negatives that sound like grooming or bullying and are not: adults who look after children in
the open, and adults warning children about grooming and bullying (banter between friends is in
text_lexicon_banter.py). Safe structures for text_corpus.py: category -> subtype -> structure key ->
template; data only, syntax in text_lexicon.py.

Ids are "hard_negative.subtype.key" and decide the held-out split by hash: add keys, never rename
them. What keeps each sentence safe must be in it, not optional:
- healthy_adult: parents know or are there; gifts, lifts, photos and surprises are open;
- safety_advice: the predator's or bully's words are quoted in order to warn, with what to do.
"""

FRIENDLY_STRUCTURES = {
    "hard_negative": {
        # a trusted adult, with the parents involved
        "healthy_adult": {
            "pickup": "Your {parent} said it's fine, I'll pick you [both|all|and {name}] up after [practice|"
                      "training|rehearsal] [on Saturday|tonight|tomorrow|on Thursday].",
            "consent": "I've [emailed|messaged|texted] your {parent} [the consent form|the details|the times] for "
                       "the [trip|match|tournament], so check with them tonight.",
            "great_work": "Great work today[, {name}|]! [I'll tell your {parent} at pickup.|Your {parent} is "
                          "going to be so proud.|Keep it up.]",
            "meet_all": "[Let's|We'll] all meet at {place} {day}, [parents are welcome to stay|your {parent} can "
                        "come too|I'll be there with the other coaches].",
            "send_homework": "[Send me a photo of your [homework|signed form|project] [so I can mark it|before "
                             "Friday]|Can you send me a photo of your [homework|signed form|project] once your "
                             "{parent} has signed it?]",
            "birthday_gift": "I got you {gift} for your birthday[, {name}|][, your {parent} helped me pick it|, "
                             "I've given it to your {parent} to wrap|].",
            "well_done_all": "Well done everyone, [great session today|brilliant performance|that was your best "
                             "match yet], [see you all {day}|parents, pickup is at five|tell your {parent} about "
                             "it tonight].",
            "team_photos": "The team [photos|pictures] will go on the club page[, but only if your {parent} "
                           "signed the form|, all the parents said yes|, let me know if you'd rather not be in "
                           "them].",
            "surprise": "{secret_ask}, [it's a surprise for your {parent}'s birthday|we're planning a surprise "
                        "party for your {parent}|I got your {parent} a present].",
            "lift": "[Uncle|Auntie|Grandad] [will|is gonna] take you to {place} {day}[, your {parent} knows|, "
                    "I've cleared it with your {parent}|].",
            "phone_rules": "[No phones after nine|Phones downstairs at bedtime], [that's the rule|like we agreed]"
                           "[, and you can always show me anything weird you get|].",
            "tutor": "[For our next lesson|Next session], [bring your {subject} book|we'll do past papers], and "
                     "[your {parent} will sit in like last time|I'll send your {parent} the notes].",
            # praise, gifts, lifts, photos, surprises: all in the open, parents told or there
            "coach_praise": "[Brilliant|Great|Fantastic|Amazing] [game|session|effort|performance] today"
                            "[, {name}|]! [I told your {parent} how well you did.|Your {parent} was cheering the "
                            "whole time.|I'll put it in the club newsletter.|Show your {parent} the match video "
                            "tonight.]",
            "newsletter_photo": "[Can we use|We'd love to use|Is it okay to use] a photo of [your project|you with "
                                "your certificate|the team|your artwork] in the [school newsletter|club newsletter|"
                                "end of year slideshow]? [Your {parent} has already signed the permission form.|"
                                "I'll check with your {parent} first.|Only if you and your {parent} are happy "
                                "with it.]",
            "relative_gift": "[Grandma|Grandad|Nana|Your auntie|Your godmother] [sent|posted|dropped off] {gift} "
                             "for your birthday[, {name}|]! [Ring to say thank you after tea.|It's on the kitchen "
                             "table, open it when your {parent} gets home.|I've put it in the cupboard till the "
                             "party.|Let's write a thank you card together tonight.]",
            "surprise_party": "[Me and Grandad|Your aunt and I|Me and your big sister|Your cousins and I] are "
                              "planning a surprise [for Mum's birthday|for Dad's birthday|for Grandma's "
                              "seventieth|for your sister's birthday], so [keep it a secret till Saturday|don't "
                              "say a word yet|act normal at dinner]! [You can help with the cake.|We'll wrap the "
                              "present together tonight.|You can pick the card.]",
            "lift_arranged": "[I've spoken to your {parent}|Your {parent} texted me|It's all sorted with your "
                             "{parent}], so I'll drive you to [the match|the tournament|the swimming gala|the "
                             "away game|rehearsal|the competition] [with the others|with my two|with the rest of "
                             "the team] {day}[, and they'll collect you after|, and they'll meet us there|].",
            "show_parents": "[Show your {parent}|Tell your {parent} about|Take home] [your certificate|what you "
                            "made today|the drawing you did|your merit award] tonight[, {name}|], [they'll be so "
                            "proud|they'll love it|I've emailed them about it too|I've told them to look out for "
                            "it].",
            "parents_evening": "[I'll see you and your {parent}|Your {parent} and I will meet] [at parents' "
                               "evening|after school {day}] to talk about [how well you're doing|your {subject} "
                               "project|moving up to the top set|your options], [nothing to worry about|you're "
                               "welcome to join us|it's all good news].",
            "trip_letter": "[For the|About the] [camping trip|Scouts trip|youth club trip|residential|museum trip] "
                           "{day}: [all the details are in the letter to your parents|your {parent} needs to sign "
                           "the consent form|parents are welcome to help drive|I'll text all the parents the "
                           "pickup time].",
            "open_praise": "You showed real [maturity|kindness|leadership|teamwork] [today|in that match|helping "
                           "the younger ones|in class][, {name}|]. [I'll mention it to your {parent} at pickup.|"
                           "I'm putting you forward for the award, your parents will get a letter.|Well done, "
                           "everyone noticed.|Your {parent} will be so proud.]",
            "family_call": "[Grandad|Nana|Your auntie|Grandma] wants to video call [you|us all|the whole family] "
                           "{day}[, so don't make plans|, your {parent} will set it up on the tablet|, bring your "
                           "drawing to show].",
            "team_chat": "[I've added|I'll add] your {parent} to the team [group chat|WhatsApp group|parents' chat] "
                         "[so they get the match times|for sorting lifts|so they can see the photos|for any "
                         "changes to training].",
            "team_gift": "[The club|The school|The PTA] got everyone on the team [new hoodies|a medal|a water "
                         "bottle with their name on|a certificate], [I've given them to the parents at pickup|your "
                         "{parent} can collect yours on Friday|they'll be handed out at the awards night].",
            "stay_over": "Your {parent} [said you can|agreed you can] [stay over at Grandma's|stay at your "
                         "cousin's|come for tea at ours with {name}] {day}[, I'll drop you off and they'll pick "
                         "you up|, all the parents have sorted it|, and they'll ring you at bedtime].",
            "proud": "I'm so proud of you[, {name}|]! [Your {parent} told me about your {subject} result.|Wait till "
                     "I tell Grandma.|Let's all go for {food} to celebrate, your {parent} is coming too.|Your "
                     "{parent} showed me your report.]",
            "lessons_arranged": "[Your {parent} booked|I've arranged with your {parent}|Your {parent} and I "
                                "sorted out] [extra {subject} lessons|swimming lessons|guitar lessons] [for "
                                "Saturdays|after school on Tuesdays|for the holidays], [at the library|at your "
                                "house while they're home|at the leisure centre|and they'll sit in on the first "
                                "one].",
            "keep_practising": "Keep practising your {hobby}[, {name}|], [you've got real talent|you've improved "
                               "so much this term|you're a natural], [show your {parent} the video|we'll put you "
                               "in the school show|I'll tell your {parent} at parents' evening].",
            "card_money": "[Happy birthday|Well done on your results|Congratulations on passing][, {name}|]! "
                          "[I've put a little something in the card for you, [spend it on something nice|don't spend "
                          "it all at once|your {parent} has it].|There's some money in the card from me and your "
                          "uncle, [spend it on something nice|don't spend it all at once].|Grandad and I got you "
                          "{gift}, [your {parent} is hiding it till the party|your {parent} helped us choose].]",
            "post_permission": "[Before I post|Before we share|Before we put up] [the team photo|the video of the "
                               "show|the class picture|the photos from sports day] [on the club website|in the "
                               "newsletter|on the school page], [I need a yes from every parent|I'll check with "
                               "your {parent}|I'll ask all the parents first].",
            "carer_rang": "{carer} [rang|emailed|messaged me] to say how [well you did|helpful you were|hard you "
                          "worked] [in {subject}|at training|on the trip|today][, {name}|]. [I'm so proud of you.|"
                          "We should celebrate.|Let's get {food} tonight to celebrate.]",
            "uniform_photo": "Get your {parent} to send me a photo of you in your new [uniform|school shoes|"
                             "football kit|costume][, {name}|]! [I want to put it on the fridge.|Grandad can't "
                             "wait to see it.|I'm so proud of you.]",
            "door_open": "[If you ever need help with {subject}|If anything's worrying you|If you want extra "
                         "practice], [my door's always open|come and find me at lunch|ask me after class], and "
                         "[you can bring a friend|your {parent} can always call the school|I'll keep your {parent} "
                         "in the loop].",
            "present_together": "[Shall we make|Shall we buy|Do you want to pick] a present for your {parent} "
                                "together? [It's a surprise, so don't tell them till Sunday.|We can go into "
                                "town {day} with your big sister.|We can wrap it at mine.]",
            "coach_feedback": "[You're|You've been] [a real leader on the pitch|the most improved player this "
                              "season|brilliant in goal][, {name}|]. [I've nominated you for player of the season, "
                              "your {parent} knows.|Keep it up, you should be proud.|I've told your {parent} all "
                              "about it.]",
            "know_what_time": "I know what time [practice finishes|your bus gets in|the party ends|the disco "
                              "finishes], so I'll [be outside to pick you up|meet you at the stop|wait by the "
                              "gates with the other parents][, text me if it changes|, ring me if you're running "
                              "late|].",
            # round two: group lifts, praise sent home, gifts through family, consent before photos
            "away_lifts": "[Coach here|Hi all, it's Coach]: I can take [three|four|a few] of the kids to the away "
                          "match {day}, [parents, reply here if you want a seat|I'll bring the booster seats|your "
                          "{parent} can follow in convoy].",
            "praise_home": "[I've sent|I'm sending] [a postcard home|a message to your {parent}|a praise point] "
                           "[about your {subject} project|for your hard work][, {name}|], [you should be really "
                           "proud|they'll be thrilled].",
            "gift_via_family": "[Grandma|Grandad|Auntie] [sent you|left you|dropped off] {gift} [for your "
                               "birthday|for passing your exams][, your {parent} has it downstairs|, say thank you "
                               "when you ring them|, open it with everyone at tea].",
            "team_photo_forms": "[Can I take|Is it okay if I take] a photo of the team [for the newsletter|for the "
                                "club page]? [I've got consent forms from all your parents.|Only if your {parent} "
                                "said yes on the form.|Anyone without a form, step out for this one.]",
            "tutor_home": "[For your tutoring|For the extra lessons], [we'll use the kitchen table while your "
                          "{parent} is home|your {parent} can sit in any time|we'll meet at the library|I'll send "
                          "your {parent} a summary after each one].",
            "teach_bike": "Your [uncle|grandad|auntie] is gonna teach you to [ride your bike|fish|bake bread|swim] "
                          "{day}[, your {parent} is coming too|, at the park|, it'll be fun].",
            "ask_parent_first": "[Sounds great|Happy to help], but [check with your {parent} first|ask your "
                                "{parent} to message me|I'll need your {parent}'s permission][, {name}|], [then we'll "
                                "sort a time|and we'll go from there].",
        },
        # parents, teachers, moderators on staying safe
        "safety_advice": {
            "never_send": "Never send [photos|pictures|your address|your real name] to [someone|people] you've "
                          "only met online[, even if they seem nice|, no matter what they offer you|, even for "
                          "free skins].",
            "secret_rule": "If anyone [asks you to keep a secret from us|offers you gifts online|asks where you "
                           "live|asks for pictures], [tell me straight away|come to me|you won't be in trouble, "
                           "just tell us].",
            "threatens": "[Remember|Just remember], if someone [threatens you|says they'll hurt you|asks for "
                         "pictures|says they know where you live], [block them|screenshot it] and tell [an "
                         "adult|a teacher|us].",
            "dont_share": "[Don't|Never] [share your real name|say what school you go to|post your address|show "
                          "your face] [online|on TikTok|on your story|in public group chats|on {app}][, keep your "
                          "account private|, even to friends of friends|].",
            "real_friends": "Real friends don't ask you to [delete messages|keep secrets from your parents|move "
                            "to another app|send photos], [that's a red flag|so always tell us if someone does|"
                            "and you can always say no].",
            "mods_rule": "[Reminder from the mods|Server rules]: [we ban|we remove] anyone who [asks for personal "
                         "info|asks for photos|threatens other players|shares someone's address][, so report it "
                         "if you see it|].",
            "not_fault": "It's never your fault if [someone online asks you for photos|someone threatens you|"
                         "someone shares your pictures], [you can always tell us|you won't be in trouble|we'll "
                         "sort it out together].",
            "lesson": "[In today's lesson|Today in PSHE|In this assembly] we're talking about [online grooming|"
                      "cyberbullying|how to spot fake accounts|staying safe on {app}] and [what to do if it "
                      "happens|who you can talk to|how to report it].",
            "settings": "[Let's|We should] [set your account to private|turn off location sharing|check who can "
                        "message you] on {app}[, just to be safe|, it only takes a minute|].",
            "age_rating": "You have to be [thirteen|sixteen] to use {app}, [so wait till you're old enough|check "
                          "the age rating first|we'll set it up together when you're that age].",
            "alone": "[Don't walk home alone after dark|If you're home alone, don't open the door to anyone|Never "
                     "meet someone from online alone], [text me when you leave|call me if anything feels weird|"
                     "take a friend or tell us first].",
            "gift_red_flag": "If a stranger offers you {gift} [for a photo|to keep a secret|to meet up], [that's "
                             "a trick|say no and tell us|it's not really free].",
            # quoting groomers and bullies in order to warn, and what to do about it
            "they_say": "[Groomers|Predators|People who target kids online|Some adults online] [often|might|will] "
                        "say things like \"{groomer_line}\"[ to you|]. [If anyone says that, tell us straight "
                        "away.|That's a massive red flag.|Block them and tell an adult.|You won't be in trouble "
                        "for telling us.]",
            "secret_from_us": "If [someone|anyone|a grown-up|someone you met online|anyone, even {carer},] ever "
                              "asks you to keep a secret from [us|your parents|your teachers], [tell us "
                              "anyway|that's exactly when you should tell|you won't be in trouble for telling]. "
                              "[Surprises are fine, secrets aren't.|Good secrets are surprises, bad secrets "
                              "make you feel worried.|]",
            "tactics": "[They|Groomers|People like that] [usually|often] start by [being really nice|giving you "
                       "compliments|offering free {currency}|playing games with you], then they [ask you to move "
                       "to another app|ask you to keep it secret|ask for photos|ask to meet up]. [That's how you "
                       "spot it.|If that happens, tell us.|That's when you block and report.]",
            "report_steps": "To report someone in {game}[, {name}|], [click on their name and press report|go to "
                            "settings and then report player|take a screenshot first], then [block them|tell a "
                            "mod|show me or your {parent}].",
            "mod_notice": "[Mod note|Reminder from the mods|Heads up everyone]: [someone|an account] [has been|is] "
                          "[asking players for photos|offering free {currency} for personal info|asking people "
                          "their age and school|telling people to move to {app}], [don't reply, just report "
                          "them|we've banned them, report any new accounts|DM a mod if they message you].",
            "bully_says": "If anyone says \"{bully_line}\"[ to you|][, {name}|], [that's bullying and you should "
                          "tell a teacher|screenshot it and show us|don't reply, just come to us|tell us and we'll "
                          "sort it out with the school].",
            "told_dead": "Bullies sometimes say you'll [get hurt|be dead|get battered] if you tell, [just|only] to "
                         "scare you into keeping quiet. [Tell anyway, we'll keep you safe.|That's exactly when you "
                         "should tell an adult.|Come straight to me if that happens.]",
            "meet_rule": "Never [meet up with|go to meet] someone you've only [talked to|met] online[ on your own|]"
                         ", [even if they say they're your age|especially if they say to come alone|and if they "
                         "say not to tell your parents, that's a red flag]. [Always tell us first.|We'd come with "
                         "you.|Tell an adult straight away.]",
            "gifts_why": "If someone you don't know [sends|offers] you {gift}[ online|], [they might want something "
                         "back later|ask yourself why|show us before you accept it|that's a warning sign, not a "
                         "favour].",
            "pretend_age": "[Remember|Just so you know], people online [can pretend to be your age|aren't "
                           "always your age|aren't always who they say they are]. [A thirteen year old in your "
                           "game could be a grown man.|If their story doesn't add up, tell us.|Never share your "
                           "address or school with them.]",
            "talked_to_kids": "[We talked to|I had a chat with] [the kids|our daughter|our son|my little sister] "
                              "about [online grooming|what to do if someone asks for pics|not keeping secrets "
                              "from us|what to do if someone threatens them], and [they knew exactly what to do|"
                              "they promised to tell us if anything happens|we set up their privacy settings "
                              "together].",
            "assembly_talk": "[The police officer|The speaker|Our head teacher] [in assembly|at school today] "
                             "[explained|told us] how [groomers|online predators|scammers] [pretend to be kids|"
                             "offer free skins|ask you to move to private apps|try to make you keep secrets]"
                             "[, and what to do if it happens|, and who to tell|].",
            "role_play": "[In PSHE|In computing|In form time] we [practised|role-played|learned] what to say if "
                         "someone [asks for your address|asks you to send a pic|tries to get you to meet up|says "
                         "they'll hurt you if you tell], [and who to tell|and how to block them|and it was "
                         "actually useful].",
            "trusted_adults": "[Pick|Think of] [a trusted adult|three trusted adults] you can tell if [someone "
                              "online makes you feel uncomfortable|someone asks you to keep a secret|someone "
                              "threatens you][, {name}|]. [It could be me, your teacher or your {parent}.|You'll "
                              "never be in trouble for telling.|Write their names down.]",
            "warning_signs": "[Warning signs|Signs to look out for] [for parents|] include [your child getting "
                             "gifts you don't know about|a new secret phone or app|being very secretive about who "
                             "they talk to|deleting all their messages]. [If you spot this, talk to them calmly.|"
                             "Report it to the police if you're worried.|Don't panic, just ask them about it.]",
            "say_no": "If someone asks for a photo, you can just say [no|\"no, I'm telling my mum\"|\"I don't do "
                      "that\"] and [leave the chat|block them|tell us]. [You don't owe anyone anything.|It's not "
                      "rude to say no.|We'll never be cross with you.]",
            "quote_warn": "If someone online says \"{groomer_line}\", [that's grooming|they're not your friend|"
                          "that's a trick], [so stop replying and tell us|screenshot it and tell a parent|and you "
                          "can report them to the police].",
            # round two: permanence of photos, surprises vs secrets, location, passwords, sextortion advice
            "strangers_rule": "[Remember|Rule number one]: [never meet strangers from online|don't go to meet "
                              "anyone you met in a game] [without telling us|on your own]. [Even if they seem "
                              "nice.|Even if they've sent you {gift}.|We'd rather come with you.]",
            "photo_forever": "Once you send a [photo|picture|video], you can't take it back[, {name}|]. [Even on "
                             "{app}, people screenshot.|So think before you send anything.|If someone's pressuring "
                             "you for one, tell us.]",
            "surprise_secret": "[There's a difference between|Know the difference between] a surprise and a "
                               "secret: [a surprise ends with everyone happy|a secret that makes you worried isn't "
                               "one you have to keep]. [Tell us anything.|Nobody should ask you to hide things from "
                               "us.]",
            "location_off": "[Turn off|Switch off] [location sharing|Snap Map|your location] on {app}[, {name}|], "
                            "[so strangers can't see where you are|especially at home|we'll check it together].",
            "game_voice": "In {game}, [only play with people you know in real life|keep voice chat to friends "
                          "only|don't tell anyone your age or school][, {name}|]. [If anyone asks for your photos or "
                          "address, leave and tell us.|If someone gets weird, block and report.|We're not trying to "
                          "spoil it.]",
            "password": "[Keep your password secret|Never share your password][, even with friends|, even with "
                        "your best mate|]. [The only people who should know it are you and us.|Real friends won't "
                        "ask for it.|If someone asks for it, that's a red flag.]",
            "sextortion": "If someone [online|in a game] says they'll [hurt you|come to your house|share your "
                          "photos] unless you [do what they say|send more|pay them], [don't pay and don't reply|"
                          "screenshot everything and come to us|it's not your fault, we'll call the police "
                          "together].",
        },
    },
}
