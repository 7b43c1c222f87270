/* rapporteur: play a session from any turn, deep links (#t754320, #t=754, #t=12:34),
   highlight the turn being played, copy a link to a moment; Pagefind search UI.
   No framework, nothing fetched from elsewhere (YouTube's player only when asked to play). */
(function () {
  "use strict";
  var doc = document;

  function siteRoot() {
    var meta = doc.querySelector('meta[name="rp-base"]');
    return new URL((meta ? meta.getAttribute("content") : ".").replace(/\/?$/, "/"), location.href);
  }

  function hms(t) {
    t = Math.max(0, Math.floor(t + 1e-6));
    var h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = t % 60;
    return [h, m, s].map(function (n) { return (n < 10 ? "0" : "") + n; }).join(":");
  }

  /* "754", "754.5", "12:34", "1:02:03" → seconds (NaN when none of these) */
  function parseTime(text) {
    text = decodeURIComponent(String(text || "")).trim();
    if (/^\d+(\.\d+)?s?$/.test(text)) return parseFloat(text);
    var m = /^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/.exec(text);
    if (m) return (parseInt(m[1] || "0", 10) * 3600) + parseInt(m[2], 10) * 60 + parseFloat(m[3]);
    return NaN;
  }

  /* ------------------------------------------------------------- players */

  function mediaPlayer(el) {
    var pending = null;
    el.addEventListener("loadedmetadata", function () {
      if (pending !== null) { el.currentTime = pending; pending = null; }
    });
    return {
      seek: function (t, play) {
        if (el.readyState >= 1) el.currentTime = t; else { pending = t; try { el.currentTime = t; } catch (e) { /* later */ } }
        if (play) { var p = el.play(); if (p && p.catch) p.catch(function () {}); }
      },
      onTime: function (cb) {
        el.addEventListener("timeupdate", function () { cb(el.currentTime, !el.paused); });
        el.addEventListener("seeked", function () { cb(el.currentTime, !el.paused); });
      },
    };
  }

  function youtubePlayer(box) {
    var id = box.getAttribute("data-youtube-id"), yt = null, start = 0, loading = false, listeners = [];
    var label = box.querySelector(".rp-yt-label");
    function load(t) {
      if (loading) return;
      loading = true;
      var host = doc.createElement("div");
      box.innerHTML = "";
      box.appendChild(host);
      var ready = window.onYouTubeIframeAPIReady;
      window.onYouTubeIframeAPIReady = function () {
        if (ready) ready();
        yt = new window.YT.Player(host, {
          videoId: id,
          host: "https://www.youtube-nocookie.com",
          playerVars: { start: Math.floor(t), autoplay: 1, playsinline: 1, rel: 0 },
          events: {
            onReady: function () { yt.seekTo(t, true); yt.playVideo(); },
          },
        });
        setInterval(function () {
          if (yt && yt.getCurrentTime) {
            var playing = yt.getPlayerState && yt.getPlayerState() === 1;
            listeners.forEach(function (cb) { cb(yt.getCurrentTime(), playing); });
          }
        }, 500);
      };
      var s = doc.createElement("script");
      s.src = "https://www.youtube.com/iframe_api";
      doc.head.appendChild(s);
    }
    var button = box.querySelector("button");
    if (button) button.addEventListener("click", function () { load(start); });
    return {
      seek: function (t, play) {
        start = t;
        if (yt && yt.seekTo) { yt.seekTo(t, true); if (play) yt.playVideo(); }
        else if (play) load(t);
        else if (label) label.textContent = "Play the recording from " + hms(t);
      },
      onTime: function (cb) { listeners.push(cb); },
    };
  }

  /* ----------------------------------------------------------- transcript */

  var heads = [].slice.call(doc.querySelectorAll(".turn-head[data-start]"));
  // each turn's buttons, to copy the link to its moment and to correct it: made here, since they work only
  // with JavaScript (written into every turn of every page, they cost the site engine a tenth of its build)
  heads.forEach(function (h) {
    var time = h.querySelector(".turn-time"), at = time ? " (" + time.textContent + ")" : "";
    [["turn-copy", "Copy link to this moment"], ["turn-edit", "Correct this turn"]].forEach(function (kind) {
      var b = doc.createElement("button");
      b.type = "button"; b.className = kind[0]; b.title = kind[1];
      b.setAttribute("aria-label", kind[1] + at);
      if (kind[0] === "turn-copy") b.setAttribute("data-anchor", h.id);
      h.appendChild(doc.createTextNode(" ")); h.appendChild(b);
    });
  });
  var starts = heads.map(function (h) { return parseFloat(h.getAttribute("data-start")); });
  var box = doc.getElementById("rp-player");
  var player = null;
  if (box) {
    var media = box.querySelector("audio, video");
    player = media ? mediaPlayer(media) : box.getAttribute("data-kind") === "youtube" ? youtubePlayer(box) : null;
    if (media) captionLine(media, box.querySelector(".rp-now"));
  }

  function turnAt(t) {  // the last turn starting at or before t
    var lo = 0, hi = starts.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (starts[mid] <= t + 0.05) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found < 0 ? null : heads[found];
  }

  function visible(el) {
    var r = el.getBoundingClientRect();
    return r.bottom > 0 && r.top < (window.innerHeight || doc.documentElement.clientHeight);
  }

  var current = null;
  function highlight(t, scroll) {
    var head = turnAt(t);
    if (!head || head === current) return head;
    var following = !current || visible(current.parentNode);
    if (current) { current.parentNode.classList.remove("playing"); current.parentNode.removeAttribute("aria-current"); }
    current = head;
    head.parentNode.classList.add("playing");
    head.parentNode.setAttribute("aria-current", "true");
    if (scroll || following) head.parentNode.scrollIntoView({ block: scroll ? "start" : "nearest", behavior: scroll ? "auto" : "smooth" });
    return head;
  }

  if (player) player.onTime(function (t, playing) { if (playing || current) highlight(t, false); });

  /* the time a link or hash points at: a turn or agenda heading (data-start), or #t=… */
  function targetTime(hash) {
    hash = (hash || "").replace(/^#/, "");
    if (!hash) return null;
    var m = /^t=(.+)$/.exec(hash);
    if (m) { var t = parseTime(m[1]); return isNaN(t) ? null : t; }
    var el = doc.getElementById(decodeURIComponent(hash));
    if (el && el.hasAttribute("data-start")) return parseFloat(el.getAttribute("data-start"));
    return null;
  }

  function go(hash, play) {
    var t = targetTime(hash);
    if (t === null) return false;
    if (player) player.seek(t, play);
    var head = highlight(t, true);
    if (!/^#?t=/.test(hash)) {
      var el = doc.getElementById(decodeURIComponent(hash.replace(/^#/, "")));
      if (el) el.scrollIntoView({ block: "start" });
    } else if (head) {
      head.parentNode.scrollIntoView({ block: "start" });
    }
    return true;
  }

  doc.addEventListener("click", function (ev) {
    var a = ev.target.closest && ev.target.closest('a[href^="#"]');
    // links in the text (timestamps, the agenda) play; the table of contents and ¶ permalinks only move
    if (a && a.closest(".md-sidebar, .headerlink")) a = null;
    if (a && !ev.ctrlKey && !ev.metaKey && !ev.shiftKey && player) {
      var hash = a.getAttribute("href");
      if (targetTime(hash) !== null) {
        ev.preventDefault();
        history.replaceState(null, "", hash);
        go(hash, true);
        return;
      }
    }
    var b = ev.target.closest && ev.target.closest("button.turn-copy");
    if (b) copyLink(b);
    var e = ev.target.closest && ev.target.closest("button.turn-edit");
    if (e) showEdit(e);
  });

  window.addEventListener("hashchange", function () { go(location.hash, false); });
  if (location.hash) go(location.hash, false);

  /* ---------------------------------------------------------- edit control */

  // The corrections.yaml entry for a turn, as rapporteur.corrections.entry_yaml writes it (a test
  // compares the two on every turn of the demo): `at` is the turn's mm:ss, or its id when another
  // turn starts in the same second; YAML double-quoted scalars are JSON strings.
  function mmss(seconds) {
    var t = Math.max(0, Math.floor(seconds + 1e-9)), h = Math.floor(t / 3600), m = Math.floor(t % 3600 / 60), s = t % 60;
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return h ? h + ":" + two(m) + ":" + two(s) : two(m) + ":" + two(s);
  }
  function oneLine(text) { return text.split(/\s+/).filter(Boolean).join(" "); }

  function entryYaml(turn) {
    var head = turn.querySelector(".turn-head"), start = parseFloat(head.getAttribute("data-start"));
    var second = Math.floor(start + 1e-9), same = 0;
    doc.querySelectorAll(".turn-head[data-start]").forEach(function (h) {
      if (Math.floor(parseFloat(h.getAttribute("data-start")) + 1e-9) === second) same += 1;
    });
    var id = head.id, speaker = turn.getAttribute("data-speaker") || "", phrase = turn.getAttribute("data-phrase") || "";
    var at = same > 1 ? id : mmss(start);
    return "  - at: " + JSON.stringify(at) + "    # " + id + ", " + oneLine(speaker) + "\n" +
      "    replace:                # the words as heard: what was said\n" +
      "      " + JSON.stringify(phrase) + ": " + JSON.stringify(phrase) + "\n" +
      "    # speaker: " + JSON.stringify(speaker) + "\n";
  }

  var editBox = null;
  function showEdit(button) {
    var turn = button.closest(".turn");
    if (!turn) return;
    var match = location.pathname.match(/\/sessions\/([^\/]+)\//);
    var file = "recordings/" + (match ? decodeURIComponent(match[1]) : "<session>") + "/corrections.yaml";
    if (!editBox) {
      editBox = doc.createElement("dialog");
      editBox.className = "rp-edit";
      editBox.setAttribute("aria-label", "Correct this turn");
      var intro = doc.createElement("p"), area = doc.createElement("textarea"), row = doc.createElement("p");
      area.setAttribute("readonly", ""); area.rows = 5; area.spellcheck = false;
      var copy = doc.createElement("button"), close = doc.createElement("button"), link = doc.createElement("a");
      copy.type = close.type = "button"; copy.textContent = "Copy"; close.textContent = "Close";
      copy.className = "md-button md-button--primary"; close.className = "md-button"; link.className = "rp-edit-open";
      copy.addEventListener("click", function () {
        area.select();
        var done = function (ok) { status.textContent = ok ? "Entry copied" : "Select the entry and copy it"; };
        if (navigator.clipboard) navigator.clipboard.writeText(area.value).then(function () { done(true); }, function () { done(false); });
        else done(false);
      });
      close.addEventListener("click", function () { editBox.close(); });
      row.appendChild(copy); row.appendChild(close); row.appendChild(link);
      editBox.appendChild(intro); editBox.appendChild(area); editBox.appendChild(row);
      doc.body.appendChild(editBox);
    }
    var parts = editBox.children;
    parts[0].textContent = "To correct this turn, paste this entry under turns: in " + file +
      ", change what was said (or uncomment speaker:), and rebuild the site with make. The fix is kept on every rebuild.";
    parts[1].value = entryYaml(turn);
    var link = editBox.querySelector(".rp-edit-open"), base = doc.querySelector('meta[name="rp-edit-base"]');
    if (base && base.content) {
      link.href = base.content.replace(/\/+$/, "") + "/" + file;
      link.textContent = "Open " + file + " in the repository's editor";
      link.hidden = false;
    } else {
      link.hidden = true; link.removeAttribute("href"); link.textContent = "";
    }
    if (editBox.showModal) editBox.showModal(); else editBox.setAttribute("open", "");
    parts[1].focus(); parts[1].select();
  }

  /* ---------------------------------------------------------- copy link */

  var status = doc.createElement("div");
  status.className = "rp-status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  doc.body.appendChild(status);

  function copyLink(button) {
    var url = location.href.split("#")[0] + "#" + button.getAttribute("data-anchor");
    function done(ok) {
      status.textContent = ok ? "Link copied: " + url : "Copy this link: " + url;
      button.classList.add(ok ? "copied" : "copy-failed");
      setTimeout(function () { button.classList.remove("copied", "copy-failed"); status.textContent = ""; }, 2500);
    }
    function fallback() {
      var area = doc.createElement("textarea");
      area.value = url;
      area.setAttribute("readonly", "");
      area.style.position = "fixed"; area.style.opacity = "0";
      doc.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = doc.execCommand("copy"); } catch (e) { ok = false; }
      doc.body.removeChild(area);
      button.focus();
      done(ok);
    }
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(url).then(function () { done(true); }, fallback);
    else fallback();
  }

  /* the caption being spoken, under an audio player (VTT voice tags give the speaker) */
  function captionLine(media, line) {
    if (!line || media.tagName !== "AUDIO" || !media.textTracks || !media.textTracks.length) return;
    var track = media.textTracks[0];
    track.mode = "hidden";
    track.addEventListener("cuechange", function () {
      var cue = track.activeCues && track.activeCues[0];
      if (!cue) { line.textContent = ""; return; }
      var voice = /^<v\s+([^>]+)>/.exec(cue.text);
      var text = cue.getCueAsHTML ? cue.getCueAsHTML().textContent : cue.text;
      line.textContent = (voice ? voice[1].replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">") + ": " : "") + text;
    });
  }

  /* -------------------------------------------------------------- search */

  var root = siteRoot();

  function headerSearch() {  // a search field in the header, leading to the search page
    var inner = doc.querySelector(".md-header__inner");
    if (!inner || doc.getElementById("rp-search")) return;
    var form = doc.createElement("form");
    form.className = "rp-header-search";
    form.setAttribute("role", "search");
    form.action = new URL("search/", root).href;
    var input = doc.createElement("input");
    input.type = "search"; input.name = "q"; input.placeholder = "Search transcripts";
    input.setAttribute("aria-label", "Search transcripts");
    form.appendChild(input);
    // on a session held in another language, search that language's index (see languageMenu)
    var body = doc.querySelector("[data-pagefind-body][lang]");
    if (body) {
      var lang = doc.createElement("input");
      lang.type = "hidden"; lang.name = "lang"; lang.value = body.getAttribute("lang");
      form.appendChild(lang);
    }
    inner.appendChild(form);
  }

  /* the turns that hold the query best: the longest run of consecutive matched words
     (a phrase said in that turn), then the most matches; Pagefind's UI would keep its own
     top three by match count only, and show them in page order */
  function bestMoments(subs, n) {
    function run(sub) {
      var locs = (sub.locations || []).slice().sort(function (a, b) { return a - b; }), best = 0, cur = 0;
      for (var i = 0; i < locs.length; i++) {
        cur = i > 0 && locs[i] - locs[i - 1] <= 1 ? cur + 1 : 1;
        if (cur > best) best = cur;
      }
      return best;
    }
    return subs
      .map(function (sub, i) { return { sub: sub, run: run(sub), count: (sub.locations || []).length, i: i }; })
      .sort(function (a, b) { return b.run - a.run || b.count - a.count || a.i - b.i; })
      .slice(0, n)
      .map(function (x) { return x.sub; });
  }

  // Pagefind keeps one index per page language (<html lang>): sessions held in French or Chinese are
  // searched in their own index.  The search page is in the site's language; when the archive has
  // others, a menu chooses the index (?lang=zh in the address does too).
  function languageMenu(el, entry, current, choose) {
    var langs = Object.keys((entry && entry.languages) || {}).filter(function (l) { return l !== "unknown"; });
    if (langs.length < 2) return;
    var names = window.Intl && Intl.DisplayNames ? new Intl.DisplayNames([navigator.language || "en", "en"], { type: "language" }) : null;
    var label = doc.createElement("label");
    label.className = "rp-search-language";
    label.textContent = "Sessions held in ";
    var select = doc.createElement("select");
    langs.sort().forEach(function (l) {
      var o = doc.createElement("option");
      var name = l;
      try { name = names ? names.of(l) : l; } catch (e) { name = l; }
      o.value = l;
      o.textContent = name + " (" + entry.languages[l].page_count + ")";
      o.selected = l === current;
      select.appendChild(o);
    });
    select.addEventListener("change", function () { choose(select.value); });
    label.appendChild(select);
    el.parentNode.insertBefore(label, el);
  }

  /* A remembered quote is typed without quotation marks.  Pagefind alone ranks the words one by one
     (a 90-minute transcript holds most of them somewhere), so a query of three words or more is
     searched first as a phrase; when no record holds the phrase, the words are searched as they are.
     The archive's common words (pagefind/common-words.json, see scripts/rapporteur/site/search.py) are
     not in the transcripts' search records: they are left out of the query too, so that their index
     chunks (hundreds of kB each) are never fetched and the phrase of the other words is still a phrase. */
  var PHRASE_MIN_WORDS = 3;
  var EXCERPT_WORDS = 24;
  var UNSPACED = /[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]/;  // scripts written without spaces between words
  var PHRASE_MOST = 3;  // words a phrase search holds at most: each costs its index chunk (up to ~80 kB)
  var notPhrases = {};
  var commonWords = {};  // language → {word: true}
  var frequentWords = {};  // language → {word: times said} (pagefind/frequent-words.json: said 10,000 times or more)
  var searchLang = "en";
  var lastWords = [];  // the words of the last query (core), to show the turns that hold them

  function searchWords(text) { return (text || "").split(/\s+/).filter(Boolean); }
  // as search.core: lower-cased, without the punctuation around it
  function core(word) { return word.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "").toLowerCase(); }

  function isCommon(w) { return (commonWords[searchLang] || {})[w] === true; }  // ("constructor" is no common word)

  function timesSaid(w) {  // 0: said less often than the frequent words
    var f = frequentWords[searchLang] || {};
    return Object.prototype.hasOwnProperty.call(f, w) ? f[w] : 0;
  }

  /* The words a phrase search holds: all of the query's other words, or when some are frequent, at most
     PHRASE_MOST of them in a row, the run said least often (three such words in a row are said once in an archive; a frequent word costs a large
     index chunk, and a phrase of frequent words alone costs Pagefind seconds at thousands of sessions).
     The results are then ordered by how much of the whole query they say (saysQuery). */
  function phraseOf(kept) {
    var frequent = kept.some(function (w) { return timesSaid(core(w)) > 0; });
    if (kept.length <= PHRASE_MOST || !frequent) return kept;  // (none of them costs a large chunk: all of them)
    var from = 0, least = Infinity;
    for (var i = 0; i + PHRASE_MOST <= kept.length; i++) {
      var said = 0;
      for (var j = i; j < i + PHRASE_MOST; j++) said += timesSaid(core(kept[j]));
      if (said < least) { least = said; from = i; }
    }
    return kept.slice(from, from + PHRASE_MOST);
  }

  /* A quote whose words (but the common ones) are all frequent is searched as the phrase of their pairs:
     a record indexes each two frequent words said in a row as one word (search.frequent_pairs: each word
     after PAIR_JOIN, so that no pair begins with a word a searcher types), and Pagefind's search scans
     every record entry of every searched word for each record that has them all, seconds for frequent
     words alone at thousands of sessions; a pair is in few. */
  var PAIR_JOIN = "qzq";  // as search.PAIR_JOIN
  var PAIRABLE = /^[\p{L}\p{N}]+$/u;  // as search.frequent_pairs: letters and digits only

  function pairsOf(kept) {  // null: not every word is frequent
    var cores = kept.map(core);
    if (cores.length < 2 || !cores.every(function (w) { return timesSaid(w) > 0 && PAIRABLE.test(w); })) return null;
    var pairs = [];
    for (var i = 0; i + 1 < cores.length; i++) pairs.push(PAIR_JOIN + cores[i] + PAIR_JOIN + cores[i + 1]);
    return pairs;
  }

  function queryOf(term) {
    var typed = searchWords((term || "").replace(/"/g, " "));
    var kept = typed.filter(function (w) { return !isCommon(core(w)); });
    lastWords = typed.map(core).filter(Boolean);
    return { typed: typed, kept: kept.length ? kept : typed };
  }

  /* How much of the query, as typed (common words and all), a result says in a row: the search engine
     (assets/search/pagefind.js) orders a phrase search's first results by it.  The phrase searched has no
     common words, so at thousands of sessions two words of a quote, said in a row in many turns, find
     them all; the one that says the whole quote comes first. */
  function runFrom(cores, a, k) {  // how many of the query's words, from its k-th, are said in a row from cores[a]
    var len = 0;
    while (a + len < cores.length && k + len < lastWords.length && cores[a + len] === lastWords[k + len]) len++;
    return len;
  }

  function runOf(text) {
    var cores = searchWords(text).map(core), best = 0;
    for (var a = 0; a < cores.length; a++) {
      for (var k = 0; k < lastWords.length && best < lastWords.length; k++) best = Math.max(best, runFrom(cores, a, k));
    }
    return best;
  }

  function saysQuery(data) {
    var moments = momentsOf(data);
    var texts = moments.length ? moments.map(function (m) { return m[3]; }) : [(data && data.content) || ""];
    return { run: Math.max.apply(null, texts.map(runOf)), whole: lastWords.length };
  }

  function phraseFirst(bundleUrl, rerun) {
    var engine = import(bundleUrl + "pagefind.js");  // the very module Pagefind UI imports (same URL): its loaded index is shared
    engine.then(function (pf) { if (pf.rankWith) pf.rankWith(saysQuery); }).catch(function () {});
    return function (term) {
      var q = queryOf(term);
      var t = q.kept.join(" ");
      if (q.typed.length < PHRASE_MIN_WORDS || q.kept.length < 2 || notPhrases[t]) return t;
      var phrase = '"' + (pairsOf(q.kept) || phraseOf(q.kept)).join(" ") + '"';
      engine
        .then(function (pf) { return pf.search(phrase, { unranked: true }); })
        .then(function (found) {
          if (found && found.results && found.results.length === 0 && !notPhrases[t]) {
            notPhrases[t] = true;
            rerun(term.trim() + " ");  // the phrase is nowhere: the words as they are (a new term, or the UI would not search)
          }
        })
        .catch(function () {});
      return phrase;
    };
  }

  function escapeHtml(s) {
    return s.replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; });
  }

  /* A transcript record (several turns, search.py) shows the turns that hold the query best: the
     longest run of the query's words said in a row, then the most of its words; each with its own
     excerpt, the words of the query marked. */
  function bestTurns(moments, pageUrl, n) {
    var kept = lastWords.filter(function (w) { return !isCommon(w); });
    function hit(w) {  // a word of the query that is not common, a longer word it begins (Pagefind finds those
      for (var j = 0; j < kept.length; j++) {  // too), or in text written without spaces, within a word
        var q = kept[j], at = w.indexOf(q);
        if (w === q || at === 0 && q.length >= 3 || at >= 0 && UNSPACED.test(q)) return true;
      }
      return false;
    }
    return moments.map(function (m, i) {
      var toks = searchWords(m[3]), cores = toks.map(core), best = 0, at = 0, count = 0;
      for (var a = 0; a < cores.length; a++) {
        if (hit(cores[a])) count++;
        for (var k = 0; k < lastWords.length; k++) {  // the query's words said in a row from here
          var len = runFrom(cores, a, k);
          var rare = cores.slice(a, a + len).some(function (w) { return !isCommon(w); });
          if (rare && len > best) { best = len; at = a; }  // a run of common words alone says nothing
        }
      }
      if (!best) for (var h = 0; h < cores.length; h++) if (hit(cores[h])) { at = h; break; }
      var from = Math.max(0, at - 6), words = toks.slice(from, from + EXCERPT_WORDS);
      var excerpt = words.map(function (w, j) {
        var i = from + j, said = hit(cores[i]) || (i >= at && i < at + best);
        return said ? "<mark>" + escapeHtml(w) + "</mark>" : escapeHtml(w);
      }).join(" ");
      return {
        i: i, run: best, count: count,
        sub: { title: escapeHtml(m[1] + " " + m[2]), url: pageUrl + "#" + m[0], anchor: "#" + m[0], locations: [], weighted_locations: [],
               excerpt: (from > 0 ? "… " : "") + excerpt + (from + EXCERPT_WORDS < toks.length ? " …" : "") },
      };
    })
      .filter(function (x, i) { return x.count > 0 || i === 0; })  // the record's first turn at least
      .sort(function (a, b) { return b.run - a.run || b.count - a.count || a.i - b.i; })
      .slice(0, n)
      .map(function (x) { return x.sub; });
  }

  /* A record's turns ([anchor, time, speaker, text]) from its fragment; none for a page.  Each turn's text
     is stored without the words of the record's content (search.skeleton: KEPT in their place), the
     content holds them in order: put back here. */
  var KEPT = "\u0001";
  function momentsOf(data) {
    var meta = data && data.meta;
    if (!meta || !meta.moments) return [];
    var moments;
    try { moments = JSON.parse(unBraille(meta.moments)); } catch (e) { return []; }
    var kept = searchWords(data.content || ""), k = 0;
    moments.forEach(function (m) {
      m[3] = searchWords(m[3]).map(function (w) { return w === KEPT ? (k < kept.length ? kept[k++] : "") : w; }).join(" ");
    });
    return moments;
  }

  // search.unindexed: a record's turns, stored as UTF-8 bytes written as Braille patterns (not indexed)
  function unBraille(s) {
    var bytes = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i) - 0x2800;
    return new TextDecoder("utf-8").decode(bytes);
  }

  function showResult(result) {
    if (result.meta && result.meta.context) {  // event and date beside the session's title
      result.meta.title = result.meta.title + " — " + result.meta.context;
      delete result.meta.context;
    }
    if (result.meta && result.meta.moments) {
      var moments = momentsOf(result);
      delete result.meta.moments;
      var page = result.url.split("#")[0];
      var subs = bestTurns(moments, page, 3);
      result.url = page;
      result.excerpt = subs.length ? subs[0].excerpt : "";  // never Pagefind's: the record's text is not escaped
      result.sub_results = subs;
      return result;
    }
    result.sub_results = bestMoments(result.sub_results || [], 3);
    return result;
  }

  /* Pagefind UI, while it waits for the typing to pause, fetches the index chunks of the words as typed
     (before processTerm), common words too.  Instead its box's input events are held here and passed on
     once the typing pauses; the UI then searches at once (debounceTimeoutMs: 0), without that preload. */
  var TYPING_PAUSE_MS = 300;
  function holdTyping(el) {
    var timer = null, passing = false;
    el.addEventListener("input", function (ev) {
      var box = ev.target;
      if (passing || !box.classList || !box.classList.contains("pagefind-ui__search-input")) return;
      ev.stopImmediatePropagation();
      clearTimeout(timer);
      timer = setTimeout(function () {
        passing = true;
        try { box.dispatchEvent(new Event("input", { bubbles: true })); } finally { passing = false; }
      }, TYPING_PAUSE_MS);
    }, true);
  }

  function searchPage(el) {
    var css = doc.createElement("link");
    css.rel = "stylesheet";
    css.href = new URL("pagefind/pagefind-ui.css", root).href;
    doc.head.appendChild(css);
    var siteLang = doc.documentElement.lang || "en";
    var params = new URLSearchParams(location.search);
    var ui = null;
    function start(lang) {
      doc.documentElement.lang = lang;  // what Pagefind picks its index (and its UI's words) by
      searchLang = lang;
      if (ui) { ui.destroy(); el.innerHTML = ""; }
      ui = new window.PagefindUI({
        element: el,
        bundlePath: new URL("assets/search/", root).pathname,  // Pagefind's engine with the recent index merged in
        baseUrl: root.pathname,
        showSubResults: true,
        showImages: false,
        pageSize: 5,  // each shown result costs its fragment (a few kB: a transcript is indexed in blocks of turns)
        excerptLength: 24,
        debounceTimeoutMs: 0,  // debounced by holdTyping: Pagefind UI's own debounce preloads the words as typed
        processTerm: phraseFirst(new URL("assets/search/", root).href, function (term) { if (ui) ui.triggerSearch(term); }),
        processResult: showResult,
      });
      return ui;
    }
    holdTyping(el);
    var script = doc.createElement("script");
    script.src = new URL("pagefind/pagefind-ui.js", root).href;
    script.onload = function () {
      function json(name) {
        return fetch(new URL("pagefind/" + name, root).href)
          .then(function (r) { return r.ok ? r.json() : null; })
          .catch(function () { return null; });
      }
      Promise.all([json("pagefind-entry.json"), json("common-words.json"), json("frequent-words.json")])
        .then(function (got) {
          var entry = got[0];
          Object.keys(got[1] || {}).forEach(function (l) {
            var set = {};
            (got[1][l] || []).forEach(function (w) { set[w] = true; });
            commonWords[l] = set;
          });
          frequentWords = got[2] || {};
          var langs = (entry && entry.languages) || {};
          var lang = params.get("lang");
          if (!lang || !langs[lang]) lang = siteLang;
          languageMenu(el, entry, lang, function (chosen) {
            var q = el.querySelector(".pagefind-ui__search-input");
            var text = q ? q.value : "";
            var url = new URL(location.href);
            url.searchParams.set("lang", chosen);
            history.replaceState(null, "", url);
            start(chosen);
            if (text) ui.triggerSearch(text);
          });
          start(lang);
          var q = params.get("q");
          if (q) ui.triggerSearch(q);
        });
    };
    script.onerror = function () { el.textContent = "The search index is missing: build the site with `make` (it runs Pagefind)."; };
    doc.body.appendChild(script);
  }

  var searchBox = doc.getElementById("rp-search");
  if (searchBox) searchPage(searchBox); else headerSearch();
})();
