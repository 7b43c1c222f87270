/* The search engine of the search page (its Pagefind UI's bundlePath, and rapporteur.js's phrase search):
   Pagefind's own (pagefind/pagefind.js), with the recent index merged in when there is one, and a phrase
   search's first results in the order of how much of the query they say (see ``ranked``).

   A build that changes a few pages indexes only those, into pagefind/recent/ (scripts/rapporteur/site/
   search.py); pagefind/recent/superseded.json names the archive index's results of the pages changed or
   removed since the archive index was built.  Those are left out of every search here, before any of
   their fragments is fetched, so a search finds each page once, as it is now.

   Filters: Pagefind counts every search's results per filter value by a linear scan (results × filter
   entries, twice): at 3,000 sessions a word said in 6,000 records took 5 s with the filters loaded, 0.45 s
   without.  So the filters' values and counts come from filter-totals.json (written with the index), and
   Pagefind's own filter index is loaded only once a filter is chosen; until then the counts shown are the
   archive's, and after it each search's own. */
import * as pagefind from "../../pagefind/pagefind.js";

var bundlePath = new URL("../../pagefind/", import.meta.url);
var recentPath = new URL("recent/", bundlePath);
var baseOptions = {};
var merged = null;
var filtersLoaded = false;

function getJson(url) {
  return fetch(url.href).then(function (r) { return r.ok ? r.json() : null; }).catch(function () { return null; });
}

function ofLanguage(totals) {  // the filter totals of the language Pagefind searches (as it picks its index)
  if (!totals) return null;
  var lang = (document.documentElement.lang || "").toLowerCase();
  if (totals[lang]) return totals[lang];
  if (totals[lang.split("-")[0]]) return totals[lang.split("-")[0]];
  var langs = Object.keys(totals);
  return langs.length === 1 ? totals[langs[0]] : null;
}

function loadFilters() { filtersLoaded = true; return pagefind.filters(); }

function totals(withRecent) {  // {filter: {value: n}} of the archive index (and the recent one)
  return Promise.all([getJson(new URL("filter-totals.json", bundlePath)),
                      withRecent ? getJson(new URL("filter-totals.json", recentPath)) : null])
    .then(function (got) {
      var archive = ofLanguage(got[0]);
      if (!archive) return loadFilters();  // an index without the file: Pagefind's own
      var counts = copy(archive), recent = ofLanguage(got[1]) || {};
      Object.keys(recent).forEach(function (key) {
        counts[key] = counts[key] || {};
        Object.keys(recent[key]).forEach(function (value) { counts[key][value] = (counts[key][value] || 0) + recent[key][value]; });
      });
      return counts;
    });
}

function ready() {  // {superseded, shared, totals}, once the recent index is merged (see above)
  if (!merged) {
    merged = getJson(new URL("superseded.json", recentPath))
      .then(function (tier) {
        if (!tier) return null;
        var done = tier.index ? pagefind.mergeIndex(recentPath.pathname, { baseUrl: baseOptions.baseUrl }) : Promise.resolve();
        var t = { superseded: tier.superseded || {}, shared: tier.shared || {}, totals: null };
        return done.then(function () { return totals(tier.index); }).then(function (counts) {
          [t.superseded, t.shared].forEach(function (map) {
            Object.keys(map).forEach(function (id) { uncount(counts, map[id]); });
          });
          Object.keys(counts).forEach(function (key) {  // a value only superseded pages had is no value now
            Object.keys(counts[key]).forEach(function (value) { if (counts[key][value] <= 0) delete counts[key][value]; });
          });
          t.totals = counts;
          return t;
        });
      });
  }
  return merged;
}

function has(map, id) { return Object.prototype.hasOwnProperty.call(map, id); }

function uncount(counts, filters) {  // take a left-out result off filter counts ({filter: {value: n}})
  Object.keys(filters || {}).forEach(function (key) {
    (filters[key] || []).forEach(function (value) {
      if (counts && counts[key] && counts[key][value] > 0) counts[key][value] -= 1;
    });
  });
}

function copy(counts) { return JSON.parse(JSON.stringify(counts)); }

function current(found, tier) {  // a search's results without the superseded ones, each shared one once
  if (!tier || !found || !found.results) return found;
  var kept = [], seen = {};
  found.results.forEach(function (r) {
    if (has(tier.superseded, r.id) || (has(tier.shared, r.id) && seen[r.id])) uncount(found.filters, tier.superseded[r.id] || tier.shared[r.id]);
    else { kept.push(r); seen[r.id] = true; }
  });
  found.results = kept;
  Object.keys(found.filters || {}).forEach(function (key) {
    Object.keys(found.filters[key]).forEach(function (value) {
      if (!(tier.totals[key] && has(tier.totals[key], value))) delete found.filters[key][value];
    });
  });
  if (found.totalFilters) found.totalFilters = copy(tier.totals);
  return found;
}

/* A phrase search's first results, ordered by how much of the query as typed they say in a row
   (``rankWith``: rapporteur.js's saysQuery, on a result's data).  Their fragments are fetched RANK_STEP at
   a time until one says the whole query or RANK_MOST are read; the UI then shows those it already has. */
var RANK_STEP = 6, RANK_MOST = 24;
var ranker = null;
export function rankWith(fn) { ranker = fn; }

function once(r) {  // a result whose data is fetched once, however often it is asked for
  var data = r.data, got = null;
  r.data = function () { return got = got || data.apply(r, arguments); };
  return r;
}

async function ranked(term, found, o) {
  if (!ranker || (o && o.unranked) || !found || !found.results || found.results.length < 2 || String(term).charAt(0) !== '"') return found;
  var results = found.results, scored = [], whole = false;
  for (var from = 0; from < Math.min(results.length, RANK_MOST) && !whole; from += RANK_STEP) {
    var batch = results.slice(from, Math.min(from + RANK_STEP, RANK_MOST)).map(once);
    var datas = await Promise.all(batch.map(function (r) { return r.data().catch(function () { return null; }); }));
    batch.forEach(function (r, i) {
      var says = ranker(datas[i]);
      scored.push({ r: r, run: says.run, i: from + i });
      whole = whole || says.run >= says.whole;
    });
  }
  scored.sort(function (a, b) { return b.run - a.run || a.i - b.i; });
  found.results = scored.map(function (x) { return x.r; }).concat(results.slice(scored.length));
  return found;
}

function plain(o) {  // the options as Pagefind takes them
  if (!o || !("unranked" in o)) return o;
  var p = Object.assign({}, o);
  delete p.unranked;
  return p;
}

function chosen(filters) {  // a filter value is chosen
  return Object.keys(filters || {}).some(function (key) {
    var v = filters[key];
    return v !== null && v !== undefined && (typeof v !== "object" || Object.keys(v).length > 0);
  });
}

/* The last searches, by term and options: rapporteur.js's phrase search and the UI's search of the same
   phrase are one search (a phrase of frequent words costs Pagefind seconds at thousands of sessions). */
var SEARCHES_KEPT = 4;
var searches = [];

function searched(term, o) {
  var p = plain(o) || {};
  // (a search made before the filter index was loaded has no counts: not the same search after it)
  var key = JSON.stringify([term, chosen(p.filters) ? p.filters : null, p.sort || null, filtersLoaded]);
  for (var i = 0; i < searches.length; i++) if (searches[i].key === key) return searches[i].found;
  var found = (chosen(p.filters) && !filtersLoaded ? loadFilters() : Promise.resolve()).then(function () {
    return pagefind.search(term, p);
  });
  searches.unshift({ key: key, found: found });
  searches.length = Math.min(searches.length, SEARCHES_KEPT);
  found.catch(function () { searches = searches.filter(function (s) { return s.found !== found; }); });
  return found;
}

function fresh(found) {  // a search's answer to change (its results and counts), the kept one untouched
  if (!found || !found.results) return found;
  return Object.assign({}, found, { results: found.results.slice(), filters: copy(found.filters || {}),
                                    totalFilters: found.totalFilters ? copy(found.totalFilters) : found.totalFilters });
}

export async function options(o) { baseOptions = Object.assign({}, baseOptions, o || {}); return pagefind.options(o); }
export async function init() { await pagefind.init(); await ready(); }
export async function mergeIndex(path, o) { return pagefind.mergeIndex(path, o); }
export async function search(term, o) {
  var tier = await ready();
  return ranked(term, current(fresh(await searched(term, o)), tier), o);
}
var searchID = 0;
export async function debouncedSearch(term, o, ms) {  // null: a later search came first
  var id = ++searchID;
  var tier = await ready();
  if (ms) await new Promise(function (done) { setTimeout(done, ms); });
  if (id !== searchID) return null;
  var found = await searched(term, o);
  return id === searchID ? ranked(term, current(fresh(found), tier), o) : null;
}
export async function preload(term, o) { await ready(); return pagefind.preload(term, o); }
export async function filters() {
  var tier = await ready();
  return tier ? copy(tier.totals) : loadFilters();
}
export async function destroy() { merged = null; searches = []; filtersLoaded = false; return pagefind.destroy(); }
