/* The search engine of the search page (its Pagefind UI's bundlePath, and rapporteur.js's phrase search):
   Pagefind's own (pagefind/pagefind.js), with the recent index merged in when there is one, and a phrase
   search's first results in the order of how much of the query they say (see ``ranked``).

   A build that changes a few pages indexes only those, into pagefind/recent/ (scripts/rapporteur/site/
   search.py); pagefind/recent/superseded.json names the archive index's results of the pages changed or
   removed since the archive index was built.  Those are left out of every search here, before any of
   their fragments is fetched, so a search finds each page once, as it is now. */
import * as pagefind from "../../pagefind/pagefind.js";

var recentPath = new URL("../../pagefind/recent/", import.meta.url);
var baseOptions = {};
var merged = null;

function ready() {  // {superseded, shared, totals}, once the recent index is merged (see above)
  if (!merged) {
    merged = fetch(new URL("superseded.json", recentPath).href)
      .then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; })
      .then(function (tier) {
        if (!tier) return null;
        var done = tier.index ? pagefind.mergeIndex(recentPath.pathname, { baseUrl: baseOptions.baseUrl }) : Promise.resolve();
        var t = { superseded: tier.superseded || {}, shared: tier.shared || {}, totals: null };
        return done.then(function () { return pagefind.filters(); }).then(function (counts) {
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

export async function options(o) { baseOptions = Object.assign({}, baseOptions, o || {}); return pagefind.options(o); }
export async function init() { await pagefind.init(); await ready(); }
export async function mergeIndex(path, o) { return pagefind.mergeIndex(path, o); }
export async function search(term, o) {
  var tier = await ready();
  return ranked(term, current(await pagefind.search(term, plain(o)), tier), o);
}
export async function debouncedSearch(term, o, ms) {
  var tier = await ready();
  var found = await pagefind.debouncedSearch(term, plain(o), ms);
  return found === null ? null : ranked(term, current(found, tier), o);
}
export async function preload(term, o) { await ready(); return pagefind.preload(term, o); }
export async function filters() {
  var tier = await ready();
  return tier ? copy(tier.totals) : pagefind.filters();
}
export async function destroy() { merged = null; return pagefind.destroy(); }
