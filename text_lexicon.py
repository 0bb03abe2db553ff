"""Words for text_corpus.py: the lexicons that fill the structures' slots, the shared phrasing, the
paraphrase rules and the spoken-style noise tables. Data only, no logic.

The structures themselves (the small grammars per category and subtype) live in
text_lexicon_threat.py, text_lexicon_harmful.py, text_lexicon_bullying.py, text_lexicon_grooming.py,
text_lexicon_safe.py, text_lexicon_everyday.py, text_lexicon_frames.py, text_lexicon_play.py,
text_lexicon_friendly.py and text_lexicon_banter.py, gathered into STRUCTURES at the bottom (a subtype lives
in exactly one file; a category may span several). A slot only one file's structures use may live beside
them (BANTER_LEXICON, EVERYDAY_LEXICON, FRAMES_LEXICON) and is merged into LEXICON below.

Template syntax, used by the structures and by any entry below:
- `[a|b|c]` picks one alternative; an empty alternative (`[, mate|]`) makes the part optional.
  Alternatives nest.
- `{slot}` draws a fresh entry from LEXICON or PHRASES.
- `{slot:k}` draws the slot once per sentence and uses form k of that entry; entries with forms are
  written "form0/form1/...". This keeps agreement ("teeth/they're", "hair/it's") and lets one
  sentence mention the same person twice.

LEXICON vs PHRASES:
- LEXICON entries are content words and are split between training and held-out output by a hash of
  the entry string (text_corpus.py), so the held-out split measures unseen words too. The same
  string in two slots always lands on the same side. Every slot needs at least two entries;
  ALWAYS_TRAIN lists the few everyday words that training must not lose.
- PHRASES are function phrasing (future forms, openers, pronouns). They are shared by both splits:
  holding out "I'll" or "gonna" would only teach the model that training English is odd.

Keeping the corpus honest: harmful and safe structures draw from the same slots (gift, app, place,
time, parent, photo words, kill/hurt/destroy, address), so no single word gives the label away.
No real slurs and nothing graphic anywhere in this file.
"""
from text_lexicon_banter import BANTER_LEXICON, BANTER_PHRASES, BANTER_STRUCTURES
from text_lexicon_bullying import BULLYING_STRUCTURES
from text_lexicon_everyday import EVERYDAY_LEXICON, EVERYDAY_STRUCTURES
from text_lexicon_frames import FRAMES_LEXICON, FRAMES_STRUCTURES
from text_lexicon_friendly import FRIENDLY_STRUCTURES
from text_lexicon_grooming import GROOMING_STRUCTURES
from text_lexicon_harmful import HARMFUL_STRUCTURES
from text_lexicon_play import PLAY_STRUCTURES
from text_lexicon_safe import SAFE_STRUCTURES
from text_lexicon_threat import THREAT_STRUCTURES

# Pronoun forms: subject/object/possessive/'d/'s or 're/'ll. Names carry them so that a sentence
# about a named person keeps the right pronoun ("Don't invite Maya, she'll ruin it").
_SHE = "she/her/her/she'd/she's/she'll"
_HE = "he/him/his/he'd/he's/he'll"
_THEY = "they/them/their/they'd/they're/they'll"
_SHE_NAMES = ["Maya", "Priya", "Chloe", "Zara", "Ella", "Amira", "Sofia", "Aisha", "Isla", "Emily", "Hannah",
              "Lily", "Nia", "Freya", "Jasmine", "Layla", "Niamh", "Zoe", "Bella", "Erin", "Fatima", "Keira",
              "Mia", "Olivia", "Sienna", "Wiktoria", "Dominika", "Ifeoma", "Lena", "Nadia", "Phoebe", "Sophie",
              "Uma", "Demi", "Imogen", "Millie", "Noor", "Tia", "Carys", "Esme", "Farah", "Kezia", "Oona",
              "Rosa", "Yasmin"]
_HE_NAMES = ["Liam", "Noah", "Ethan", "Omar", "Lucas", "Jack", "Ben", "Leo", "Tom", "Ravi", "Mateo", "Finn",
             "Callum", "Harvey", "Kofi", "Marcus", "Oscar", "Reece", "Tyler", "Yusuf", "Aaron", "Dylan",
             "George", "Ibrahim", "Josh", "Logan", "Nathan", "Rhys", "Theo", "Abdul", "Hamza", "Kacper",
             "Mohammed", "Owen", "Tariq", "Zain", "Aiden", "Connor", "Eli", "Gabe", "Hugo", "Jamal", "Kian",
             "Luca", "Ollie", "Ryan", "Bilal", "Jayden", "Malik", "Soren", "Tobi"]
_THEY_NAMES = ["Alex", "Sam", "Jordan", "Kai", "Charlie", "Riley", "Sasha", "Dara", "Chen", "Ade"]

LEXICON = {
    # people
    # a name, then the pronouns that agree with it: {name:1} subject ... {name:6} "she'll" (forms below)
    "name": [f"{n}/{_SHE}" for n in _SHE_NAMES] + [f"{n}/{_HE}" for n in _HE_NAMES]
            + [f"{n}/{_THEY}" for n in _THEY_NAMES],
    "surname": ["Patel", "Jones", "Smith", "Okafor", "Kowalski", "Nguyen", "Murphy", "Evans", "Khan",
                "Williams", "Taylor", "Davies", "Wilson", "Ahmed", "Hughes", "O'Brien", "Campbell",
                "Mensah", "Novak", "Clarke", "Walsh", "Hussain", "Reid", "Morgan", "Singh", "Fraser",
                "Lewis", "Adeyemi", "Byrne", "Costa", "Doyle", "Ellis", "Kaur", "Lindqvist", "Osei"],
    "parent": ["mum", "dad", "mom", "step-dad", "stepmum", "gran", "nan", "foster mum", "grandma",
               "foster carer", "stepdad", "nana", "papa", "grandad"],
    "relative": ["aunt", "uncle", "cousin", "little brother", "big sister", "auntie", "godmother",
                 "older cousin", "step-brother", "grandpa", "great aunt", "baby sister"],
    "age_child": ["ten", "eleven", "twelve", "thirteen", "fourteen", "11", "12", "13"],
    # an older relative or friend who will carry out a threat: "big brother/knows/he's"
    "ally": ["big brother/knows/he's", "cousin/knows/he's", "older brother/knows/he's",
             "uncle/knows/he's", "mates/know/they're", "boys/know/they're", "cousins/know/they're",
             "sister's boyfriend/knows/he's", "brothers/know/they're", "dad/knows/he's",
             "older lot/know/they're", "big sister/knows/she's"],
    # "your little sister/her/little sister": phrase, pronoun, bare noun for "nice ... you've got"
    "loved_thing": ["your house/it/house", "your little sister/her/little sister", "your car/it/car",
                    "your dog/it/dog", "your family/them/family", "your nan/her/nan",
                    "your little brother/him/little brother", "your cat/it/cat", "your mum/her/mum",
                    "your bike/it/bike", "your dad's shop/it/shop", "your baby brother/him/baby brother",
                    "your grandad/him/grandad"],

    # places and times
    "place": ["the park", "the library", "the bus stop", "the shopping centre", "the car park",
              "the skate park", "the corner shop", "the train station", "the football pitch",
              "the playground", "the cinema", "McDonald's", "the chippy", "the leisure centre",
              "the swimming pool", "the rec", "the canal", "the bridge", "the high street", "Greggs",
              "the arcade", "the bowling alley", "the youth club", "the garages", "the community centre",
              "the retail park", "the beach", "the shops", "the bus station", "the back field",
              "the petrol station", "the trampoline park", "the ice rink", "the market"],
    "time": ["after school", "tonight", "on Saturday", "tomorrow morning", "at lunch", "this weekend",
             "at six", "on Friday night", "next week", "after practice", "tomorrow", "on Sunday",
             "at break", "later", "after dinner", "on Monday", "at half four", "this evening",
             "after work", "before school", "tomorrow night", "at seven", "on Thursday",
             "on Wednesday afternoon", "at the weekend", "in the morning", "next Saturday",
             "at quarter past three", "after tea", "on the way home", "at dinner time", "during break",
             "after football", "first thing tomorrow", "at midnight", "after the match", "at eight",
             "on Tuesday night", "after youth club", "when it gets dark"],
    # when something planned happens (deadlines, trips, matches), where "after work" would not fit
    "day": ["on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday", "on Saturday", "on Sunday",
            "tomorrow", "next week", "this weekend", "after half term", "next month", "the day after tomorrow",
            "next Friday", "this Saturday", "in two weeks"],
    "school_spot": ["at school", "in PE", "at the school gates", "in the canteen", "on the school bus",
                    "in form time", "in the lunch queue", "at break", "in assembly", "in the corridor",
                    "at training", "in science", "at the bus stop after school", "in the library"],
    "school_name": ["Oakfield High", "St Mary's", "Riverside Academy", "Hillcrest", "Park View",
                    "Kingsway Academy", "St Joseph's", "Greenfield School", "Westbrook", "Northgate High",
                    "Moorside", "Ashgrove Academy", "Castle Hill", "Elmwood", "Lakeside School",
                    "Brookfield", "Holy Trinity", "Meadowbank", "St Anne's", "Fairfield High", "Cranmore",
                    "Redbridge"],
    "street": ["Elm Road", "Station Road", "Church Lane", "Victoria Street", "Mill Lane", "Park Avenue",
               "Queen Street", "Oak Close", "Meadow Way", "King's Road", "Beech Grove", "Albert Road",
               "Willow Drive", "Chapel Street", "Hawthorn Crescent", "Marsh Lane", "Orchard Way"],

    # apps, where things get posted, games
    "app": ["Snapchat", "WhatsApp", "Discord", "Instagram", "Telegram", "Kik", "Signal", "Messenger",
            "Skype", "Wickr", "Viber", "WeChat", "Threema", "iMessage", "Zoom", "FaceTime", "Wire",
            "KakaoTalk", "TextNow", "Element", "Hangouts", "Steam chat", "Xbox messages"],
    "social": ["on TikTok", "on Instagram", "on YouTube", "on Twitter", "on Facebook", "on Reddit",
               "on Snapchat", "on Twitch", "on BeReal", "on Tumblr", "in the year group chat",
               "on the school confessions page", "on my story", "in the server", "in the class group chat",
               "in the local Facebook group", "in every group chat I'm in", "on Threads", "on Pinterest",
               "on Discord", "on the school Insta page", "in the football group chat", "on Kick",
               "on my close friends story", "on the year 9 page", "in the Roblox group"],
    "game": ["Fortnite", "Minecraft", "Roblox", "Valorant", "Call of Duty", "Warzone", "Apex Legends",
             "Overwatch", "League of Legends", "Rocket League", "FIFA", "GTA", "Among Us", "Rainbow Six",
             "Halo", "Destiny", "PUBG", "Fall Guys", "Mario Kart", "Smash Bros", "Splatoon", "Genshin",
             "Brawl Stars", "Clash Royale", "Dota", "Sea of Thieves", "Lethal Company", "Phasmophobia",
             "Dead by Daylight", "Terraria", "Stardew Valley", "Elden Ring", "Counter-Strike",
             "Pokemon", "Animal Crossing", "Zelda", "Battlefield", "Rust", "Gorilla Tag", "Beat Saber"],
    "callout": ["on the roof", "behind the crates", "in the tower", "at A site", "in mid",
                "behind the red car", "under the bridge", "in the blue building", "on the hill",
                "in the corner", "behind that rock", "in the back room", "on the second floor",
                "at the gas station", "by the storm", "in the bushes", "on B long", "at the top of the stairs",
                "in the garage", "by the water tower", "in the attic", "near the vending machines",
                "on the balcony", "behind the truck", "at C site"],
    "enemy": ["the sniper", "their healer", "the last guy", "the tank", "the guy in the tower",
              "the one with the shotgun", "their support", "the boss", "the camper", "the runner",
              "their captain", "the guy on the zipline", "the one in the pink skin", "the guy on the roof",
              "their last player", "the one behind the wall", "the zombie boss", "their jungler",
              "the guy with the rocket launcher"],

    # harm vocabulary (threats)
    "body_part": ["arm", "nose", "legs", "jaw", "fingers", "teeth", "neck", "face", "ribs", "knees",
                  "wrist", "back", "hands", "kneecaps", "ankles", "skull", "elbows", "collarbone", "shoulder",
                  "thumbs", "spine"],
    "harm_act": ["hurt you", "batter you", "beat you up", "smash your face in", "break your {body_part}",
                 "knock your teeth out", "put you in hospital", "end you", "kill you", "stab you",
                 "jump you", "make you pay", "sort you out", "deal with you", "make you bleed",
                 "drag you out of your house", "break every bone in your body", "wreck you",
                 "bury you", "rearrange your face", "cave your head in", "ruin you", "punch your lights out",
                 "knock you out", "smack you", "slap you silly", "kick your head in", "snap your neck",
                 "give you a beating", "run you over", "strangle you", "throw you down the stairs",
                 "beat you black and blue", "put you in a wheelchair", "break your face",
                 "push you in front of a bus"],
    "threat_when": ["when I see you", "next time I see you", "the second you step outside",
                    "after school", "when you least expect it", "if it's the last thing I do",
                    "on your way home", "before the week's out", "when I catch you on your own",
                    "the minute you walk out that door", "the minute your mum leaves", "at break tomorrow",
                    "when nobody's around", "on the bus home", "when you're out walking the dog",
                    "after your practice"],
    "money_amount": ["a fiver", "ten quid", "twenty quid", "your lunch money", "five pounds", "a tenner",
                     "twenty dollars", "your pocket money", "your dinner money", "fifty quid", "your bus money"],

    # insults and bullying targets (strong, never slurs)
    "insult": ["loser", "idiot", "freak", "weirdo", "clown", "moron", "creep", "nobody", "crybaby",
               "waste of space", "joke", "rat", "snake", "muppet", "melt", "wasteman", "prat", "dweeb",
               "try-hard", "reject", "parasite", "failure", "embarrassment", "pest", "leech", "dork",
               "numpty", "plonker", "bottom feeder", "no-mark", "goblin", "charity case"],
    "insult_adj": ["pathetic", "disgusting", "ugly", "stupid", "worthless", "useless", "annoying",
                   "embarrassing", "dumb", "brainless", "spineless", "braindead", "clueless",
                   "talentless", "gross", "sad", "desperate", "cringe", "vile", "hopeless", "irrelevant",
                   "bitter", "fake", "needy", "thick", "miserable"],
    # what friends call each other (banter); many are also harmful insults above, on purpose
    "mate_insult": ["muppet", "idiot", "clown", "weirdo", "loser", "nerd", "donut", "numpty", "plonker", "dork",
                    "goblin", "melon", "walnut", "noob", "menace", "egg", "wally", "div", "potato", "melt"],
    # a trivial offence between friends, "eat my chips/ate my chips": the stakes of a play threat
    "petty": ["eat my chips/ate my chips", "touch my last slice/touched my last slice",
              "spoil the ending/spoiled the ending", "steal my charger/stole my charger",
              "finish the biscuits/finished the biscuits", "drink my Coke/drank my Coke",
              "sit in my spot/sat in my spot", "hide the remote/hid the remote",
              "wear my hoodie without asking/wore my hoodie without asking", "skip my song/skipped my song",
              "eat the last doughnut/ate the last doughnut", "use all the hot water/used all the hot water",
              "forget the snacks/forgot the snacks", "pause the game/paused the game",
              "use my controller/used my controller", "change the channel/changed the channel",
              "nick my fries/nicked my fries", "take the front seat/took the front seat",
              "steal my pen/stole my pen", "tell them the ending/told them the ending",
              "eat my crisps/ate my crisps", "eat my sweets/ate my sweets"],
    # "teeth/they're": the feature, then the words that agree with it
    "feature": ["teeth/they're", "hair/it's", "nose/it's", "spots/they're", "ears/they're",
                "eyebrows/they're", "forehead/it's", "braces/they're", "glasses/they're", "legs/they're",
                "belly/it's", "voice/it's", "laugh/it's", "chin/it's", "haircut/it's", "arms/they're",
                "skin/it's", "feet/they're", "moustache/it's"],
    "looks_adj": ["gross", "ugly", "weird", "disgusting", "greasy", "hideous", "minging", "rank", "tragic",
                  "nasty", "horrible", "revolting"],
    "compare_thing": ["a thumb", "a potato", "a lamppost", "a melted candle", "a goblin", "a garden gnome",
                      "a broom", "a wet dog", "a boiled egg", "a traffic cone", "a startled owl",
                      "a haunted doll", "Shrek", "a Lego man", "a baked bean", "a deflated balloon",
                      "a pug", "a mop", "a lightbulb", "a scarecrow", "a sad frog", "a toenail"],
    "mock_nickname": ["Pizza Face", "Dumbo", "Four Eyes", "Metal Mouth", "Beanpole", "Gremlin",
                      "Stick Insect", "Big Head", "Tomato Face", "Bin Boy", "Smelly", "Slug", "Frog Face",
                      "Crater Face", "Bigfoot", "Nit Head"],
    "ability_adj": ["slow", "thick", "useless", "hopeless", "clueless", "dense", "rubbish", "pathetic",
                    "braindead", "dim", "incompetent"],
    "religious_item": ["headscarf", "hijab", "turban", "kippah", "cross necklace", "patka", "rosary",
                       "prayer cap"],
    "disability_thing": ["hearing aid", "wheelchair", "crutches", "leg brace", "walking frame",
                         "stammer", "eye patch", "insulin pump", "big glasses"],
    # "trainers/they're/those": the item, the words that agree with it, the demonstrative
    "clothing": ["trainers/they're/those", "hoodie/it's/that", "jumper/it's/that", "coat/it's/that",
                 "shoes/they're/those", "skirt/it's/that", "top/it's/that", "jeans/they're/those",
                 "dress/it's/that", "tracksuit/it's/that", "school bag/it's/that", "jacket/it's/that",
                 "glasses/they're/those", "cap/it's/that", "boots/they're/those", "leggings/they're/those",
                 "hat/it's/that", "scarf/it's/that", "uniform/it's/that", "earrings/they're/those",
                 "puffer jacket/it's/that", "backpack/it's/that", "shorts/they're/those"],

    # grooming and gift vocabulary (also used by the safe structures)
    "gift": ["a new phone", "gift cards", "free skins", "1000 V-Bucks", "2000 Robux", "a games console",
             "designer trainers", "concert tickets", "some money", "a £50 Amazon voucher",
             "a Steam gift card", "Discord Nitro", "the battle pass", "a new headset", "AirPods",
             "a PS5", "a Switch", "some makeup", "an iPad", "a tablet", "Minecoins", "a new hoodie",
             "fifty quid", "a new controller", "a gaming chair", "some jewellery", "a designer bag",
             "the new Jordans", "a skin bundle", "an Xbox gift card", "a Nintendo eShop card",
             "a smartwatch", "a new bike"],
    "currency": ["1000 V-Bucks", "2000 Robux", "Minecoins", "loads of gems", "some gold bars",
                 "FIFA points", "£20 credit", "a battle pass", "5000 coins", "premium currency",
                 "Nitro", "500 crystals"],
    "child_photo": ["a selfie", "a pic of you", "a photo of yourself", "a picture of you in your pyjamas",
                    "a photo in your swimsuit", "a pic in your school uniform", "a mirror selfie",
                    "a photo of you in bed", "a pic of you in your bedroom",
                    "a picture without your hoodie on", "a full body pic", "a private pic",
                    "a video of you in your room", "a pic of you in your new outfit", "a photo in your PE kit",
                    "a close-up pic"],
    # shared by grooming (harmful) and surprise plans (safe); they differ in what follows
    "secret_ask": ["don't tell anyone", "keep it a secret", "not a word to anyone", "keep this between us",
                   "don't say anything", "don't mention it", "it's our little secret", "keep it quiet",
                   "this stays between you and me", "shh, don't tell", "promise you won't tell",
                   "keep it hush hush"],
    # what groomers and bullies say, quoted by adults who warn children (safety advice, safe)
    "groomer_line": ["don't tell your parents about me", "this is our little secret", "you're so mature for your age",
                     "send me a pic, I'll delete it straight away", "let's talk on {app} instead, it's more private",
                     "I'll get you {gift} if you keep it between us", "age is just a number",
                     "nobody understands you like I do", "come and meet me, but come alone",
                     "delete our chats before your mum sees", "are your parents home right now",
                     "what school do you go to", "turn your camera on, nobody will know",
                     "you can trust me, I'm not like other adults", "your parents wouldn't understand us",
                     "I'm only a bit older than you"],
    "bully_line": ["if you tell anyone, you're dead", "nobody likes you, just leave",
                   "we'll post your photos everywhere", "bring money tomorrow or else",
                   "you'll get hurt if you snitch", "we're all ignoring you now", "you can't sit with us",
                   "everyone thinks you're a freak", "say a word and you're next"],
    # a trusted adult named in the third person (healthy adults, safety advice)
    "carer": ["Coach", "Miss {surname}", "Mr {surname}", "your form tutor", "Grandma", "Grandad", "Auntie",
              "your uncle", "the Scout leader", "your swimming coach", "your piano teacher", "the youth worker",
              "your head of year", "Nana"],

    # everyday topics
    "subject": ["maths", "history", "science", "geography", "French", "art", "music", "English",
                "chemistry", "biology", "physics", "Spanish", "drama", "RE", "computing", "German",
                "DT", "business studies", "Latin", "food tech"],
    "food": ["pizza", "pasta", "tacos", "curry", "sushi", "pancakes", "spaghetti", "burgers", "soup",
             "chips", "nuggets", "a kebab", "noodles", "fried chicken", "a burrito", "waffles",
             "doughnuts", "a Nando's", "cheesecake", "jollof rice", "ramen", "dumplings",
             "a bacon sandwich", "lasagne", "a roast dinner", "fish and chips", "ice cream", "brownies",
             "a meal deal", "crumpets", "biryani", "a milkshake", "pad thai", "a Greggs sausage roll",
             "a chicken wrap", "cheesy chips", "mac and cheese", "a Sunday roast"],
    "object": ["phone", "bike", "bag", "calculator", "jacket", "laptop", "football", "lunch box",
               "pencil case", "water bottle", "headphones", "charger", "PE kit", "keys", "coat",
               "hoodie", "school shoes", "earbuds", "controller", "library book"],
    "hobby": ["painting", "baking", "guitar", "coding", "drawing", "knitting", "dancing", "photography",
              "piano", "skateboarding", "chess", "crochet", "pottery", "boxing", "karate", "climbing",
              "gymnastics", "singing", "video editing", "origami", "fishing", "sewing", "gardening",
              "judo", "drumming", "animation", "magic tricks", "bouldering", "street dance"],
    "sport": ["football", "basketball", "swimming", "tennis", "netball", "hockey", "volleyball",
              "athletics", "rugby", "cricket", "badminton", "gymnastics", "rounders", "cross country",
              "table tennis", "water polo", "lacrosse", "dodgeball", "skiing", "rowing", "cycling",
              "ice hockey", "fencing"],
    "team": ["Arsenal", "Chelsea", "Liverpool", "United", "City", "Spurs", "Real Madrid", "Barcelona",
             "the Lakers", "the Celtics", "Celtic", "Rangers", "Leeds", "Villa", "Newcastle", "Everton",
             "Juventus", "PSG", "Bayern", "the Warriors", "West Ham", "Brighton", "Forest",
             "Sunderland", "Wrexham", "the Bulls"],
    "artist": ["Taylor Swift", "Drake", "Dave", "Stormzy", "Billie Eilish", "Olivia Rodrigo",
               "Central Cee", "Sabrina Carpenter", "Kendrick", "SZA", "Ed Sheeran", "Dua Lipa",
               "Harry Styles", "Travis Scott", "Little Simz", "Arctic Monkeys", "Coldplay", "The Weeknd",
               "Bad Bunny", "BTS", "Blackpink", "Burna Boy", "Doja Cat", "Tate McRae", "Chappell Roan"],
    "show": ["Stranger Things", "Squid Game", "The Last of Us", "Breaking Bad", "Peaky Blinders",
             "Wednesday", "The Walking Dead", "Game of Thrones", "Money Heist", "The Boys", "Top Boy",
             "Black Mirror", "Harry Potter", "The Hunger Games", "John Wick", "Scream", "Avengers",
             "Spider-Man", "Deadpool", "Jaws", "The Batman", "Sherlock", "Luther", "Happy Valley", "Dune"],
    "pet": ["dog", "cat", "hamster", "rabbit", "puppy", "guinea pig", "kitten", "parrot", "tortoise",
            "budgie", "gecko", "ferret", "bearded dragon", "cockapoo", "labrador"],

    # a short everyday turn that can lead into any sentence, harmful or safe
    "leadin": ["gg that was close", "one sec, my mum's calling me", "lol did you see that",
               "wait let me mute the TV", "ok I'm back", "brb getting a drink", "nice shot",
               "my wifi is so bad today", "is anyone else lagging", "hold on, the dog's barking",
               "that match was mad", "sorry, I was eating", "can you hear me now",
               "ugh, homework's finally done", "right, I'm back", "hey", "hi", "you there?", "morning",
               "just got home", "that was a good round", "my headset died for a sec",
               "wait what did you say", "lol same", "okay whatever", "sup", "how's it going?",
               "one more game", "that update is so buggy", "my little brother keeps coming in",
               "can't believe it's Monday again", "I'm so full", "ok I'm on now", "did my mic cut out",
               "hello?", "loading in now", "okay", "that was so funny", "the bus was packed today",
               "hi everyone", "is everyone here?", "can everyone hear me?", "everyone ready?",
               "is nobody else on?", "sorry, my mouth was full", "what happened to the stream"],
}

# The most common words of their slots stay in training whatever their hash: a training corpus that
# never says "mum" or "I'll hurt you" would be unlike real speech. (Listed as lowercased entries.)
ALWAYS_TRAIN = {"mum", "dad", "hurt you", "kill you", "tomorrow", "football", "free skins", "a pic of you",
                "on friday", "gift cards"}

PHRASES = {
    # paraphrases of the first- and second-person future, so threats never hinge on one form
    "i_will": ["I'll", "I'm gonna", "I'm going to", "I will", "I swear I'll", "I'm actually gonna"],
    "you_will": ["you'll", "you're gonna", "you're going to", "you will"],
    "gonna": ["gonna", "going to"],
    # third person with agreement: subject/object/possessive/would/is/will
    "p": [_HE, _SHE, _THEY],
    # added by text_corpus.py around any sentence, harmful or safe, so none of them hints at the label
    "opener": ["honestly,", "bro,", "listen,", "look,", "mate,", "dude,", "yo,", "ok so", "right,", "man,",
               "seriously,", "okay,", "so", "hey,", "oi,", "like,", "I swear,", "no but", "wait,", "fr,",
               "bruh,", "ngl,", "babe,", "guys,"],
    "tag": [", lol", ", bro", ", honestly", ", fr", ", innit", ", mate", " haha", ", seriously", ", yeah",
            ", okay", ", I swear", ", man", " lmao", ", trust me", ", no joke"],
    "transition": ["anyway,", "but yeah,", "oh and", "also", "btw", "so", "listen,", "and", "oh,", "right,",
                   "okay so", "but"],
    "tail": ["anyway gotta go", "talk later", "brb", "whatever", "see you", "I'm off",
             "my mum's calling me", "ok bye", "laters"],
}

# Meaning-preserving rewrites applied to clean text: any member of a group may replace another.
# Only groups that are safe in every context (no "it's", which can mean "it has"; no "isn't", since
# "isn't it?" has no long form). None of these may be a held-out LEXICON entry, or a rewrite would leak
# it into training text (tests/test_text_corpus.py checks this, and the same for the noise tables).
PARAPHRASES = [
    ("I am", "I'm"), ("you are", "you're"), ("we are", "we're"), ("they are", "they're"),
    ("do not", "don't"), ("does not", "doesn't"), ("did not", "didn't"), ("cannot", "can't"),
    ("will not", "won't"), ("I will", "I'll"), ("you will", "you'll"), ("we will", "we'll"), ("want to", "wanna"),
    ("gonna", "going to"),
    ("photo", "pic", "picture"), ("photos", "pics", "pictures"), ("messages", "texts"),
    ("message me", "text me", "DM me"), ("loads of", "lots of", "tons of"), ("everyone", "everybody"),
    ("nobody", "no one"), ("someone", "somebody"), ("anyone", "anybody"), ("after school", "after class"),
    ("okay", "OK", "alright"), ("mate", "bro"), ("so annoying", "so irritating"),
]
# "going to" becomes "gonna" only before these verbs; "going to the park" must stay as it is.
GONNA_VERBS = ["be", "get", "hurt", "kill", "find", "make", "tell", "send", "post", "show", "come",
               "see", "have", "give", "do", "leave", "regret", "wait", "put", "break", "beat", "jump",
               "batter", "end", "pay", "play", "try", "happen", "need", "call", "keep", "destroy", "cry",
               "lose", "win", "go", "miss", "catch", "meet", "pick", "take", "love", "ask"]


def _gather(*files):
    """category -> subtype -> structures from the structure files; a subtype defined twice is an error
    (a plain dict merge would silently drop one of them)."""
    out = {}
    for structures in files:
        for category, subtypes in structures.items():
            merged = out.setdefault(category, {})
            twice = sorted(merged.keys() & subtypes.keys())
            if twice:
                raise ValueError(f"subtypes of {category!r} defined in two files: {twice}")
            merged.update(subtypes)
    return out


def _with_slots(table, *extra):
    """`table` plus the slots that structure files define beside the structures using them; a slot defined
    twice is an error, as a subtype is in _gather."""
    for slots in extra:
        twice = sorted(table.keys() & slots.keys())
        if twice:
            raise ValueError(f"slots defined twice: {twice}")
        table.update(slots)
    return table


LEXICON = _with_slots(LEXICON, BANTER_LEXICON, EVERYDAY_LEXICON, FRAMES_LEXICON)
PHRASES = _with_slots(PHRASES, BANTER_PHRASES)
STRUCTURES = _gather(THREAT_STRUCTURES, HARMFUL_STRUCTURES, BULLYING_STRUCTURES, GROOMING_STRUCTURES,
                     SAFE_STRUCTURES, EVERYDAY_STRUCTURES, FRAMES_STRUCTURES, PLAY_STRUCTURES, FRIENDLY_STRUCTURES,
                     BANTER_STRUCTURES)
