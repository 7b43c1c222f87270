/* The search engine of the search page (its Pagefind UI's bundlePath, and rapporteur.js's phrase search):
   Pagefind's own (pagefind/pagefind.js), with the recent index merged in when there is one.

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

export async function options(o) { baseOptions = Object.assign({}, baseOptions, o || {}); return pagefind.options(o); }
export async function init() { await pagefind.init(); await ready(); }
export async function mergeIndex(path, o) { return pagefind.mergeIndex(path, o); }
export async function search(term, o) { var tier = await ready(); return current(await pagefind.search(term, o), tier); }
export async function debouncedSearch(term, o, ms) {
  var tier = await ready();
  var found = await pagefind.debouncedSearch(term, o, ms);
  return found === null ? null : current(found, tier);
}
export async function preload(term, o) { await ready(); return pagefind.preload(term, o); }
export async function filters() {
  var tier = await ready();
  return tier ? copy(tier.totals) : pagefind.filters();
}
export async function destroy() { merged = null; return pagefind.destroy(); }
