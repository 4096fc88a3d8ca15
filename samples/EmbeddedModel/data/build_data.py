#!/usr/bin/env python3
"""Builds the embedded model's training corpus and the labelled contrast sets from what fetch-data.sh downloaded.

    python3 samples/EmbeddedModel/data/build_data.py [--cache DIR] [--out DIR]

Standard library only. Deterministic: every split and sample is decided by hashing a stable id (no RNG state).

Output (default $DS_DATA_CACHE/built, i.e. ~/.cache/diffusionsteering/data/built):
  corpus/train.txt, corpus/valid.txt   one document per line (a paragraph, review, dictionary entry, ...),
                                       deduplicated across all sources; valid.txt holds the held-out documents
  sets/<name>/train.tsv, test.tsv      label \\t source \\t text, for name in
                                       sentiment (Pang & Lee sentences), sentiment-imdb, topic (5 classes),
                                       formality (Brown learned/government vs informal IMDB/fortunes),
                                       formality-imdb (within-IMDB deciles)
  manifest.json                        sources, counts, words, split sizes

A sentence in a contrast set's test split always comes from a document held out of corpus/train.txt, and the Pang & Lee
sentence set is not in the corpus at all. Sources and licences: docs/data.md.
"""

import argparse
import csv
import gzip
import hashlib
import json
import math
import os
import re
import sys
from collections import Counter, defaultdict

csv.field_size_limit(1 << 30)


def h(*parts):
    """A stable 64-bit hash of the parts (for splits and sampling)."""
    return int.from_bytes(hashlib.sha1("\x1f".join(map(str, parts)).encode("utf-8")).digest()[:8], "big")


def frac(*parts):
    return h(*parts) / 2.0 ** 64


def log(msg):
    print(f"[build] {msg}", file=sys.stderr, flush=True)


WS = re.compile(r"\s+")


def clean(text):
    return WS.sub(" ", text.replace("\u00a0", " ")).strip()


SENT_SPLIT = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9])")


def sentences(text):
    return [s.strip() for s in SENT_SPLIT.split(text) if s.strip()]


def detokenize(text):
    """Undoes PTB-style tokenisation (Brown, Pang & Lee): n't, 's, punctuation spacing, `` '' quotes."""
    t = " " + text + " "
    t = t.replace("``", '"').replace("''", '"')
    t = re.sub(r" (n't|'s|'re|'ve|'m|'ll|'d|') ", r"\1 ", t, flags=re.I)
    t = re.sub(r" ([.,;:!?%)\]}])", r"\1", t)
    t = re.sub(r"([(\[{$]) ", r"\1", t)
    t = re.sub(r' " (.*?) " ', r' "\1" ', t)
    t = re.sub(r" \. \. \.", "...", t)
    t = re.sub(r" -- ", " -- ", t)
    return clean(t)


def capitalize_sentences(text):
    """Pang & Lee text is lower-cased: restore a capital at sentence starts and for the pronoun I."""
    t = re.sub(r"(^|[.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)
    return re.sub(r"\bi\b", "I", t)


# ------------------------------------------------------------------------------------------------------------------
# sources: each yields (unit_id, held_out, [paragraph, ...], meta)
# ------------------------------------------------------------------------------------------------------------------

def load_imdb(src):
    path = os.path.join(src, "imdb/package/reviews.json")
    reviews = json.load(open(path, encoding="utf-8"))
    for i, r in enumerate(reviews):
        text = clean(re.sub(r"<br\s*/?>", " ", r["t"]))
        held = frac("imdb", i) < 0.1          # 5,000 reviews held out
        yield f"imdb/{i}", held, [text], {"label": "pos" if r["s"] == 1 else "neg"}


def load_sotu(src):
    folder = os.path.join(src, "sotu/package/data")
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".txt"):
            continue
        text = clean(open(os.path.join(folder, name), encoding="utf-8", errors="replace").read())
        sents = sentences(text)
        paras = [" ".join(sents[i:i + 6]) for i in range(0, len(sents), 6)]
        year = int(name[:4])
        held = frac("sotu", name) < 0.06
        yield f"sotu/{name[:-4]}", held, paras, {"year": year}


def load_brown(src):
    folder = os.path.join(src, "brown/package")
    cats = dict(line.split() for line in open(os.path.join(folder, "cats.txt")) if line.strip())
    for fid in sorted(cats):
        raw = open(os.path.join(folder, fid), encoding="utf-8", errors="replace").read()
        sents = []
        for line in raw.split("\n"):
            line = line.strip()
            if not line:
                continue
            words = [tok.rsplit("/", 1)[0] for tok in line.split()]
            sents.append(detokenize(" ".join(words)))
        paras = [" ".join(sents[i:i + 5]) for i in range(0, len(sents), 5)]
        held = int(fid[2:]) % 6 == 0                    # about one file in six of every genre
        yield f"brown/{fid}", held, paras, {"genre": cats[fid], "file": fid, "sentences": sents}


def load_mobydick(src):
    folder = os.path.join(src, "mobydick/package/data")
    for name in sorted(os.listdir(folder)):
        if name.endswith(".txt"):
            text = open(os.path.join(folder, name), encoding="utf-8", errors="replace").read()
            paras = [clean(p) for p in re.split(r"\n\s*\n", text) if clean(p)]
            yield f"mobydick/{name[:-4]}", frac("moby", name) < 0.03, paras, {}


def load_lines_books(folder, source):
    """Books exported from R as one line per printed line; blank lines separate paragraphs."""
    if not os.path.isdir(folder):
        return
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".txt"):
            continue
        text = open(os.path.join(folder, name), encoding="utf-8", errors="replace").read()
        paras = [clean(p) for p in re.split(r"\n\s*\n", text) if clean(p)]
        paras = [p for p in paras if not re.fullmatch(r"(CHAPTER|Chapter|BOOK|VOLUME)\b.*", p) or len(p) > 60]
        # chunks of 20 paragraphs are the hold-out unit, so that held-out text is contiguous
        for c in range(0, len(paras), 20):
            yield f"{source}/{name[:-4]}/{c // 20}", frac(source, name, c) < 0.03, paras[c:c + 20], {"book": name[:-4]}


def load_pang_lee_reviews(src):
    path = os.path.join(src, "pattern/usr/share/doc/python3-pattern/test/corpora/polarity-en-pang&lee1.csv")
    with open(path, encoding="utf-8-sig") as f:
        for i, row in enumerate(csv.reader(f)):
            label, text = row[0], row[1]
            paras = [capitalize_sentences(detokenize(p)) for p in text.split("\n") if p.strip()]
            text = " ".join(paras)
            yield f"panglee-reviews/{i}", frac("plr", i) < 0.05, [text], {"label": "pos" if label == "1" else "neg"}


def load_pang_lee_sentences(src):
    path = os.path.join(src, "pattern/usr/share/doc/python3-pattern/test/corpora/polarity-en-pang&lee2.csv")
    with open(path, encoding="utf-8-sig") as f:
        for i, row in enumerate(csv.reader(f)):
            yield i, ("pos" if row[0] == "1" else "neg"), capitalize_sentences(detokenize(row[1].strip()))


FORTUNE_SKIP = {"ascii-art", "art", "ethnic", "translate-me", "debian", "knghtbrd", "zippy"}


def load_fortunes(src):
    for pkg in ("fortunes", "fortunes-min"):
        folder = os.path.join(src, pkg, "usr/share/games/fortunes")
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if "." in name or name in FORTUNE_SKIP:
                continue
            raw = open(os.path.join(folder, name), encoding="utf-8", errors="replace").read()
            for j, entry in enumerate(raw.split("\n%\n")):
                text = clean(entry.replace("\t", " "))
                if len(text.split()) < 4 or re.search(r"[|_/\\]{4,}", entry):
                    continue
                yield f"fortunes/{name}/{j}", frac("fortune", name, j) < 0.1, [text], {"category": name}


def wordnet_synsets(src):
    folder = os.path.join(src, "wordnet/usr/share/wordnet")
    for pos in ("noun", "verb", "adj", "adv"):
        for line in open(os.path.join(folder, "data." + pos), encoding="utf-8", errors="replace"):
            if line.startswith("  "):
                continue
            head, _, gloss = line.partition(" | ")
            f = head.split()
            offset, lexfile, ss_type, wcnt = f[0], int(f[1]), f[2], int(f[3], 16)
            words = [f[4 + 2 * k] for k in range(wcnt)]
            p = 4 + 2 * wcnt
            pcnt = int(f[p])
            pointers = [(f[p + 1 + 4 * k], f[p + 2 + 4 * k], f[p + 3 + 4 * k]) for k in range(pcnt)]
            yield pos, offset, lexfile, words, pointers, gloss.strip()


def load_wordnet(src):
    for pos, offset, lexfile, words, _, gloss in wordnet_synsets(src):
        lemma = re.sub(r"\(.*?\)$", "", words[0]).replace("_", " ")
        text = clean(f"{lemma}: {gloss}")
        if len(text.split()) >= 6:
            yield f"wordnet/{pos}/{offset}", frac("wn", pos, offset) < 0.03, [text], {"lexfile": lexfile}


def wordnet_informal_words(src):
    """Single-word lemmas of synsets whose usage domain (;u pointer) is colloquialism or slang."""
    targets = set()
    synsets = list(wordnet_synsets(src))
    for pos, offset, _, words, _, _ in synsets:
        if pos == "noun" and ("colloquialism" in words or "slang" in words):
            targets.add(offset)
    informal = set()
    for _, _, _, words, pointers, _ in synsets:
        if any(sym == ";u" and off in targets for sym, off, _ in pointers):
            informal.update(w.lower() for w in words if "_" not in w and "(" not in w)
    return informal


def dict_entries(path_prefix):
    """Entries of a dictd database (.index with base64 offsets into the gzip-compatible .dict.dz)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    def b64(s):
        v = 0
        for ch in s:
            v = v * 64 + alphabet.index(ch)
        return v
    data = gzip.open(path_prefix + ".dict.dz").read()
    for line in open(path_prefix + ".index", encoding="utf-8", errors="replace"):
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 3 or parts[0].startswith("00-database") or parts[0].startswith("00database"):
            continue
        start, length = b64(parts[1]), b64(parts[2])
        yield parts[0], data[start:start + length].decode("utf-8", errors="replace")


def load_dict(src, name, folder):
    base = os.path.join(src, folder, "usr/share/dictd")
    if not os.path.isdir(base):
        return
    prefixes = sorted({os.path.join(base, f[:-len(".index")]) for f in os.listdir(base) if f.endswith(".index")})
    for prefix in prefixes:
        for head, body in dict_entries(prefix):
            lines = body.split("\n")
            text = " ".join(l.strip() for l in lines[1:] if l.strip())       # drop the headword line
            text = re.sub(r"[{}]", "", text)                                 # FOLDOC / Jargon cross-reference braces
            text = clean(re.sub(r"\(\d{4}-\d{2}-\d{2}\)", "", text))
            if len(text.split()) >= 8:
                yield f"{name}/{head}", frac(name, head) < 0.1, [f"{head}: {text}"], {}


def load_kjv(src, keep=0.5):
    path = os.path.join(src, "kjv/kjv.txt")
    if not os.path.exists(path):
        return
    chapters = defaultdict(list)
    order = []
    current = None
    for line in open(path, encoding="utf-8", errors="replace"):
        m = re.match(r"^([1-3]?[A-Za-z]+)(\d+):(\d+)\s+(.*)$", line.strip())
        if m:
            current = (m.group(1), int(m.group(2)))
            if current not in chapters:
                order.append(current)
            chapters[current].append(m.group(4))
        elif current and line.strip():
            chapters[current][-1] += " " + line.strip()
    for key in order:
        if frac("kjv-keep", *key) >= keep:      # keep about half: KJV phrasing dominates samples otherwise
            continue
        verses = [clean(v) for v in chapters[key]]
        paras = [" ".join(verses[i:i + 5]) for i in range(0, len(verses), 5)]
        yield f"kjv/{key[0]}{key[1]}", frac("kjv", *key) < 0.08, paras, {"verses": verses}


# ------------------------------------------------------------------------------------------------------------------
# informality score (data.md section 4)
# ------------------------------------------------------------------------------------------------------------------

PRONOUNS = set("i me my mine myself we us our ours ourselves you your yours yourself yourselves ya".split())
CONTRACTION = re.compile(r"(n't|'m|'re|'ve|'ll|'d)$|^(it|that|he|she|there|what|let|who|here|where)'s$", re.I)
SLANG_EXTRA = set("""lol gonna wanna gotta kinda sorta dude dudes guy guys awesome cool crap crappy damn darn yeah yep nope
hey wow ok okay stuff totally huh ugh geez jeez gosh omg btw lame sucks sucked suck sucky dumb dork nerd freakin freaking
cheesy goofy silly ain't y'all cuz coz pal buddy kid kiddo nah meh yup hmm whoa bummer booze cop cops chick chicks folks
flick flicks bucks fella movie's ya'll""".split())
WORD = re.compile(r"[A-Za-z][A-Za-z']*")


def informality(sentence, slang):
    words = WORD.findall(sentence.replace("\u2019", "'"))
    if not words:
        return 0.0
    n = len(words)
    pron = sum(w.lower() in PRONOUNS or w.lower().split("'")[0] in PRONOUNS for w in words) / n
    contr = sum(bool(CONTRACTION.search(w)) for w in words) / n
    sl = sum(w.lower() in slang for w in words) / n
    excl = 1.0 if "!" in sentence else 0.0
    wlen = sum(len(w) for w in words) / n
    return 100 * (pron + contr + 2 * sl) + 10 * excl - 2 * (wlen - 4)


# ------------------------------------------------------------------------------------------------------------------
# naive Bayes for IMDB sentence selection
# ------------------------------------------------------------------------------------------------------------------

NB_TOKEN = re.compile(r"[a-z0-9']+|[!?]")


def nb_features(text):
    toks = NB_TOKEN.findall(text.lower())
    return set(toks) | {a + " " + b for a, b in zip(toks, toks[1:])}


def train_nb(docs):
    counts = {"pos": Counter(), "neg": Counter()}
    ndocs = Counter()
    for text, label in docs:
        counts[label].update(nb_features(text))
        ndocs[label] += 1
    vocab = {f for f in counts["pos"] if counts["pos"][f] + counts["neg"][f] >= 3} | \
            {f for f in counts["neg"] if counts["pos"][f] + counts["neg"][f] >= 3}
    weights = {}
    for f in vocab:
        p = (counts["pos"][f] + 1) / (ndocs["pos"] + 2)
        q = (counts["neg"][f] + 1) / (ndocs["neg"] + 2)
        weights[f] = math.log(p / q)
    return weights


def nb_score(weights, text):
    return sum(weights.get(f, 0.0) for f in nb_features(text))


# ------------------------------------------------------------------------------------------------------------------

def ok_sentence(s, lo=6, hi=40):
    n = len(s.split())
    return lo <= n <= hi and not re.search(r"https?://|www\.|[<>{}|]", s)


def sample(items, n, salt):
    """A deterministic sample of up to n items (by hash order)."""
    return sorted(items, key=lambda x: h(salt, x[-1]))[:n]


def write_tsv(path, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for label, source, text in rows:
            f.write(f"{label}\t{source}\t{clean(text).replace(chr(9), ' ')}\n")


def main():
    cache = os.environ.get("DS_DATA_CACHE", os.path.expanduser("~/.cache/diffusionsteering/data"))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", default=cache, help="fetch-data.sh's cache (holds sources/)")
    ap.add_argument("--out", default=None, help="output folder (default CACHE/built)")
    args = ap.parse_args()
    src = os.path.join(args.cache, "sources")
    out = args.out or os.path.join(args.cache, "built")
    if not os.path.isdir(src):
        sys.exit(f"no {src}: run fetch-data.sh first")
    os.makedirs(os.path.join(out, "corpus"), exist_ok=True)

    loaders = [
        ("imdb", lambda: load_imdb(src)),
        ("sotu", lambda: load_sotu(src)),
        ("brown", lambda: load_brown(src)),
        ("panglee-reviews", lambda: load_pang_lee_reviews(src)),
        ("austen", lambda: load_lines_books(os.path.join(src, "janeaustenr/export"), "austen")),
        ("tidytext-books", lambda: (u for u in load_lines_books(os.path.join(src, "tidytext/export"), "tidytext-books")
                                    if "Pride" not in u[0])),
        ("mobydick", lambda: load_mobydick(src)),
        ("wordnet", lambda: load_wordnet(src)),
        ("jargon", lambda: load_dict(src, "jargon", "jargon")),
        ("foldoc", lambda: load_dict(src, "foldoc", "foldoc")),
        ("devil", lambda: load_dict(src, "devil", "devil")),
        ("fortunes", lambda: load_fortunes(src)),
        ("kjv", lambda: load_kjv(src)),
    ]

    seen = set()
    stats = {}
    units = defaultdict(list)          # source -> [(unit_id, held, meta, paragraphs)]
    ftrain = open(os.path.join(out, "corpus/train.txt"), "w", encoding="utf-8", newline="\n")
    fvalid = open(os.path.join(out, "corpus/valid.txt"), "w", encoding="utf-8", newline="\n")
    for name, loader in loaders:
        s = Counter()
        for unit_id, held, paras, meta in loader():
            kept = []
            for p in paras:
                p = clean(p)
                if len(p.split()) < 3:
                    continue
                key = hashlib.sha1(re.sub(r"[^a-z0-9]+", " ", p.lower()).strip().encode()).digest()
                if key in seen:
                    s["duplicates"] += 1
                    continue
                seen.add(key)
                kept.append(p)
                (fvalid if held else ftrain).write(p + "\n")
                s["valid_docs" if held else "train_docs"] += 1
                s["valid_words" if held else "train_words"] += len(p.split())
            units[name].append((unit_id, held, meta, kept))
            s["units"] += 1
        stats[name] = dict(s)
        log(f"{name}: {dict(s)}")
    ftrain.close()
    fvalid.close()

    sets = {}

    # --- sentiment: Pang & Lee sentence polarity (not in the corpus) ---------------------------------------------------
    pl = list(load_pang_lee_sentences(src))
    rows = {"train": [], "test": []}
    for i, label, text in pl:
        rows["test" if frac("pls", i) < 0.2 else "train"].append((label, "panglee-sentences", text))
    sets["sentiment"] = rows

    # --- sentiment-imdb: sentences whose NB score agrees with their review's label ------------------------------------
    log("training naive Bayes on IMDB training reviews")
    imdb = units["imdb"]
    weights = train_nb((u[3][0], u[2]["label"]) for u in imdb if not u[1] and u[3])
    cand = {"train": {"pos": [], "neg": []}, "test": {"pos": [], "neg": []}}
    for unit_id, held, meta, paras in imdb:
        for p in paras:
            for s in sentences(p):
                if not ok_sentence(s):
                    continue
                score = nb_score(weights, s)
                if (score > 2 and meta["label"] == "pos") or (score < -2 and meta["label"] == "neg"):
                    cand["test" if held else "train"][meta["label"]].append((meta["label"], "imdb", s))
    sets["sentiment-imdb"] = {
        split: [r for label in ("pos", "neg") for r in sample(cand[split][label], n, "simdb")]
        for split, n in (("train", 5000), ("test", 1000))
    }

    # --- topic: politics / religion / film / computing / science ------------------------------------------------------
    topic = defaultdict(lambda: {"train": [], "test": []})

    def add(cls, source, held, text):
        for s in sentences(text):
            if ok_sentence(s, 8, 40):
                topic[cls]["test" if held else "train"].append((cls, source, s))

    for unit_id, held, meta, paras in units["sotu"]:
        if meta["year"] >= 1900:                       # modern addresses: less archaic than the 18th/19th-century ones
            for p in paras:
                add("politics", "sotu", held, p)
    for unit_id, held, meta, paras in units["brown"]:
        genre, num = meta["genre"], int(meta["file"][2:])
        if genre == "government":
            cls = "politics"
        elif genre == "religion":
            cls = "religion"
        elif genre == "learned" and num <= 21:          # cj01–cj21: natural sciences, medicine, mathematics
            cls = "science"
        else:
            continue
        for s in meta["sentences"]:
            if ok_sentence(s, 8, 40):
                topic[cls]["test" if held else "train"].append((cls, "brown-" + genre, s))
    for unit_id, held, meta, paras in units["kjv"]:
        for v in meta["verses"]:
            if ok_sentence(v, 8, 40):
                topic["religion"]["test" if held else "train"].append(("religion", "kjv", v))
    for unit_id, held, meta, paras in units["imdb"]:
        if h("topic-imdb", unit_id) % 10 == 0:
            for p in paras:
                add("film", "imdb", held, p)
    for unit_id, held, meta, paras in units["panglee-reviews"]:
        for p in paras:
            add("film", "panglee-reviews", held, p)
    for src_name in ("foldoc", "jargon"):
        for unit_id, held, meta, paras in units[src_name]:
            for p in paras:
                first = sentences(p.split(": ", 1)[-1])[:2]
                for s in first:
                    if ok_sentence(s, 8, 40):
                        topic["computing"]["test" if held else "train"].append(("computing", src_name, s))
    for unit_id, held, meta, paras in units["fortunes"]:
        cat = meta["category"]
        cls = {"computers": "computing", "linux": "computing", "perl": "computing", "science": "science",
               "politics": "politics"}.get(cat)
        if cls:
            for p in paras:
                if ok_sentence(p, 6, 40):
                    topic[cls]["test" if held else "train"].append((cls, "fortunes-" + cat, p))
    # balance: each class gets min(available) up to 3,000 train / 600 test; sources mixed by hash order
    n_train = min(3000, min(len(topic[c]["train"]) for c in topic))
    n_test = min(600, min(len(topic[c]["test"]) for c in topic))
    sets["topic"] = {
        "train": [r for c in sorted(topic) for r in sample(topic[c]["train"], n_train, "topic")],
        "test": [r for c in sorted(topic) for r in sample(topic[c]["test"], n_test, "topic")],
    }
    stats["topic_available"] = {c: {k: len(v) for k, v in topic[c].items()} for c in sorted(topic)}

    # --- formality: Brown learned + government (formal) vs top-decile informal IMDB + fortunes ------------------------
    log("scoring informality")
    slang = wordnet_informal_words(src) | SLANG_EXTRA
    formal = {"train": [], "test": []}
    for unit_id, held, meta, paras in units["brown"]:
        if meta["genre"] in ("learned", "government"):
            for s in meta["sentences"]:
                if ok_sentence(s, 8, 40) and informality(s, slang) < 1.0:
                    formal["test" if held else "train"].append(("formal", "brown-" + meta["genre"], s))
    pool = {"train": [], "test": []}
    imdb_scored = {"train": [], "test": []}
    for name in ("imdb", "fortunes"):
        for unit_id, held, meta, paras in units[name]:
            if name == "imdb" and h("formality-imdb", unit_id) % 4 != 0:
                continue
            for p in paras:
                for s in sentences(p):
                    if ok_sentence(s, 6, 40):
                        sc = informality(s, slang)
                        pool["test" if held else "train"].append((sc, name, s))
                        if name == "imdb":
                            imdb_scored["test" if held else "train"].append((sc, s))
    informal = {}
    for split in pool:
        ranked = sorted(pool[split], key=lambda x: (-x[0], h(x[2])))
        informal[split] = [("informal", src_name, s) for sc, src_name, s in ranked[:max(1, len(ranked) // 10)]]
    sets["formality"] = {
        split: sample(formal[split], n, "formal") + sample(informal[split], n, "informal")
        for split, n in (("train", min(3000, len(formal["train"]), len(informal["train"]))),
                         ("test", min(750, len(formal["test"]), len(informal["test"]))))
    }
    # formality-imdb (domain-matched): top vs bottom informality decile within IMDB
    fi = {}
    for split, n in (("train", 2000), ("test", 500)):
        ranked = sorted(imdb_scored[split], key=lambda x: (x[0], h(x[1])))
        dec = max(1, len(ranked) // 10)
        lo = [("formal", "imdb", s) for _, s in ranked[:dec]]
        hi = [("informal", "imdb", s) for _, s in ranked[-dec:]]
        fi[split] = sample(lo, n, "fi") + sample(hi, n, "fi")
    sets["formality-imdb"] = fi

    set_stats = {}
    for name, splits in sets.items():
        set_stats[name] = {}
        for split, rs in splits.items():
            write_tsv(os.path.join(out, "sets", name, f"{split}.tsv"), rs)
            set_stats[name][split] = dict(Counter(r[0] for r in rs))
        log(f"set {name}: {set_stats[name]}")

    totals = {
        "train_docs": sum(s.get("train_docs", 0) for k, s in stats.items() if isinstance(s, dict) and "units" in s),
        "train_words": sum(s.get("train_words", 0) for k, s in stats.items() if isinstance(s, dict) and "units" in s),
        "valid_docs": sum(s.get("valid_docs", 0) for k, s in stats.items() if isinstance(s, dict) and "units" in s),
        "valid_words": sum(s.get("valid_words", 0) for k, s in stats.items() if isinstance(s, dict) and "units" in s),
    }
    manifest = {"sources": stats, "totals": totals, "sets": set_stats, "slang_lexicon_size": len(slang)}
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    log(f"totals: {totals}")
    log(f"wrote {out}")


if __name__ == "__main__":
    main()
