"""Everyday talk the first grammars lacked: chores and voice-chat coordination (the talk around a game
rather than about it). Safe structures for text_corpus.py: category -> subtype -> structure key ->
template; data only, syntax in text_lexicon.py. The other everyday subtypes are in text_lexicon_safe.py.

Ids are "everyday.subtype.key" and decide the held-out split by hash: add keys, never rename them.
"""

EVERYDAY_STRUCTURES = {
    "everyday": {
        "chores": {
            "first": "[I've got to|I have to|Mum says I have to] {chore:0} [first|before I can play|before tea]"
                     "[, give me ten minutes|, start without me|, back in a bit].",
            "done": "I [finally|just] {chore:1}[, so I'm allowed on now|, can I have my phone back now|, Mum's "
                    "happy].",
            "whose_turn": "Whose turn is it to {chore:0}? [I did it yesterday.|It's definitely {name}'s turn.|"
                          "Let's check the rota on the fridge.]",
            "paid": "I get [a fiver|ten quid|two pounds] if I {chore:0} [every week|all week|on Saturdays][, "
                    "saving up for {gift}|, not bad|].",
            "forgot": "[Oh no|Oops|Uh oh], I forgot to {chore:0}, my {parent}'s [gonna go mad|on the way home|"
                      "gonna be so annoyed][, one sec|, brb|].",
            "rota": "[Can we|Let's] [sort out|make] a [chore|cleaning] rota for [the flat|the house|the holidays], "
                    "[I'm sick of doing all the washing up|so nobody argues|I'll do the bins].",
            "help_parent": "[I'm helping|Just helping] my {parent} [carry the shopping in|put up shelves|paint the "
                           "fence|clear out the garage] {time}[, back after|, then I'm free|].",
            "room_tip": "My room is [a tip|a disaster|so messy][ lol|], [I can't find my {object}|Mum wants it "
                        "tidy before my {relative} comes|I'll sort it tomorrow].",
            "split_jobs": "I'll {chore:0} [and then|and] {chore}[, then we can go to {place}|, then I'm on|, "
                          "then I'm free]",
        },
        "voice_chat": {
            "hear_me": "[Can you hear me|Is my mic working|Am I cutting out][, {name}|]? [I changed my headset.|"
                       "I'll rejoin.|Say something if you can hear me.]",
            "echo": "[Someone's echoing|There's loads of echo|Someone's got a fan on|I can hear a TV], [whoever it "
                    "is, mute please|is that you, {name}?|turn your volume down].",
            "push_to_talk": "[Turn on|Use] push to talk[, {name}|], [we can hear your keyboard|we can hear your "
                            "{parent} hoovering|your mic picks up everything].",
            "join": "[Join the|Come in the|Hop in the] [squad|general|gaming|second] channel[, {name}|], [we're "
                    "starting in five|we need a fourth|we're about to queue].",
            "afk": "[Brb|Going AFK|Be right back], [my {parent} needs me|dinner's ready|someone's at the door|"
                   "getting a drink][, don't start without me|, two minutes|].",
            "robotic": "[You're lagging|Your voice is all robotic|You're breaking up][, {name}|], [try restarting "
                       "your router|maybe move closer to the wifi|rejoin the call].",
            "whos_on": "Who's on [tonight|later|after tea]? [I'll be on about seven.|I can play till nine.|I've "
                       "only got an hour.]",
            "ready_up": "[Queue up|Ready up|Invite me][, {name}|], [I'm online now|party's open|I'm in the lobby].",
            "too_loud": "[Can you turn the game sound down|Your music's really loud|Turn your mic sensitivity down]"
                        "[, {name}|]? [I can't hear the footsteps.|It's drowning everyone out.|Thanks.]",
            "callouts": "[Let me do the callouts|You do callouts this round][, {name}|], [I'll watch the map|I'll "
                        "stay on the mic|I'm muted for a sec].",
            "muted": "[You're muted|Your mic's off|We can't hear you][, {name}|], [check the button on your "
                     "headset|unmute in settings|type in chat if it's broken].",
        },
    },
}

# Slots only these structures use, merged into text_lexicon.LEXICON (held out by hash like every entry).
EVERYDAY_LEXICON = {
    # a household job: "take the bins out/took the bins out"
    "chore": ["take the bins out/took the bins out", "empty the dishwasher/emptied the dishwasher",
              "hoover the stairs/hoovered the stairs", "hang the washing out/hung the washing out",
              "tidy my room/tidied my room", "clean the bathroom/cleaned the bathroom",
              "walk the dog/walked the dog", "fold the laundry/folded the laundry",
              "load the dishwasher/loaded the dishwasher", "mow the lawn/mowed the lawn",
              "wash the car/washed the car", "sort the recycling/sorted the recycling",
              "change my bedsheets/changed my bedsheets", "clear the table/cleared the table",
              "do the washing up/did the washing up", "feed the cat/fed the cat",
              "put the shopping away/put the shopping away", "clean out the hamster cage/cleaned out the hamster cage"],
}
