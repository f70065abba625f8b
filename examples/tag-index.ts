/**
 * A tag index on sets: each tag is a set of article ids, each article keeps
 * the set of its tags, and queries are set algebra — SINTER for "all of these
 * tags", SUNION for "any of them", SDIFF to exclude, SINTERCARD to count a
 * match (stopping early with LIMIT) without building it.
 *
 * Run it with `npx tsx examples/tag-index.ts`.
 */
import { Store } from '../src/index.js'

const store = new Store()

const articles: Record<string, string[]> = {
  '1': ['redis', 'databases', 'caching'],
  '2': ['typescript', 'node'],
  '3': ['redis', 'node', 'caching'],
  '4': ['redis', 'typescript', 'node'],
  '5': ['databases', 'sql'],
  '6': ['redis', 'typescript'],
}

/** Tags an article: the tag's set gets the id, the article's set gets the tag. */
function tag(id: string, ...tags: string[]): void {
  for (const t of tags) store.sadd(`tag:${t}`, id)
  store.sadd(`article:${id}:tags`, ...tags)
}

/** Removes one tag from an article (an emptied tag set disappears, as in Redis). */
function untag(id: string, t: string): void {
  store.srem(`tag:${t}`, id)
  store.srem(`article:${id}:tags`, t)
}

const tagKeys = (...tags: string[]) => tags.map((t) => `tag:${t}`)
const sorted = (ids: string[]) => ids.sort((a, b) => Number(a) - Number(b))

for (const [id, tags] of Object.entries(articles)) tag(id, ...tags)
console.log('articles tagged redis:', sorted(store.smembers('tag:redis')))

// All of these tags: SINTER.
console.log('redis AND node:', sorted(store.sinter(...tagKeys('redis', 'node'))))
console.log('redis AND typescript AND node:', sorted(store.sinter(...tagKeys('redis', 'typescript', 'node'))))

// Any of them: SUNION.
console.log('sql OR typescript:', sorted(store.sunion(...tagKeys('sql', 'typescript'))))

// Excluding one: SDIFF (redis but not node).
console.log('redis NOT node:', sorted(store.sdiff(...tagKeys('redis', 'node'))))

// Counting a match without building it: SINTERCARD, with LIMIT to stop early
// ("is there any?" never needs the whole intersection).
console.log('how many redis AND caching:', store.sintercard(tagKeys('redis', 'caching')))
console.log('any article both redis AND node? (LIMIT 1):', store.sintercard(tagKeys('redis', 'node'), { limit: 1 }) > 0)
console.log('redis articles, counted up to 3:', store.sintercard(tagKeys('redis'), { limit: 3 }), 'of', store.scard('tag:redis'))

// Membership checks: one (SISMEMBER) or several at once (SMISMEMBER).
console.log('is 3 tagged caching?', store.sismember('tag:caching', '3'))
console.log('which of 1..3 are tagged node?', store.smismember('tag:node', '1', '2', '3'))

// Related articles: those sharing any tag with article 6, minus itself.
const related = sorted(store.sunion(...store.smembers('article:6:tags').map((t) => `tag:${t}`)).filter((id) => id !== '6'))
console.log('related to 6:', related)

// Saved searches: SINTERSTORE keeps the result as a set of its own.
const n = store.sinterstore('search:redis+typescript', ...tagKeys('redis', 'typescript'))
console.log(`SINTERSTORE: ${n} ids in search:redis+typescript`)

// Untagging: the sql tag loses its only article, and its key goes away.
untag('5', 'sql')
console.log('after untagging 5/sql, tag:sql exists?', store.exists('tag:sql') === 1)

// Small sets of integers are stored compactly; Redis reports the same encodings.
console.log('encoding of tag:redis (integer ids):', store.call('OBJECT', 'ENCODING', 'tag:redis'))
console.log('encoding of article:1:tags (words):', store.call('OBJECT', 'ENCODING', 'article:1:tags'))

store.close()
