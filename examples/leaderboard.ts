/**
 * A game leaderboard on a sorted set: scores go in with ZADD/ZINCRBY, the top
 * of the board comes out with ZREVRANGE ... WITHSCORES, and a player's place
 * with ZREVRANK (ZRANK counts from the lowest score). Every one of these is
 * O(log n), so the board stays fast with millions of players.
 *
 * Run it with `npx tsx examples/leaderboard.ts`.
 */
import { Store } from '../src/index.js'

const store = new Store()
const BOARD = 'leaderboard:season-1'

// Initial scores: [score, member] pairs, as ZADD takes them (an object works too).
const added = store.zadd(BOARD, [
  [1200, 'ann'],
  [950, 'bob'],
  [1430, 'cid'],
  [880, 'dee'],
  [1010, 'eve'],
])
console.log(`ZADD: ${added} players on the board`)

// Games finish: ZINCRBY adds points (a new player starts from 0).
const games: Array<[string, number]> = [
  ['bob', 300],
  ['dee', 75],
  ['fay', 990],
  ['ann', -40],
  ['bob', 120],
]
for (const [player, points] of games) {
  const total = store.zincrby(BOARD, points, player)
  console.log(`ZINCRBY ${player} ${points > 0 ? '+' : ''}${points} -> ${total}`)
}

// Only keep a better score: ZADD ... GT never lowers one.
store.zadd(BOARD, { eve: 900 }, { gt: true })
store.zadd(BOARD, { eve: 1111 }, { gt: true })
console.log(`ZADD GT: eve now has ${store.zscore(BOARD, 'eve')}`)

// The top three, highest first, with scores (ZREVRANGE 0 2 WITHSCORES).
console.log('\nTop 3:')
store.zrangeWithScores(BOARD, 0, 2, { rev: true }).forEach(({ member, score }, i) => {
  console.log(`  ${i + 1}. ${member.padEnd(4)} ${score}`)
})
// The same command by name gives Redis's reply: a flat member, score list.
console.log("call('ZREVRANGE', board, 0, 2, 'WITHSCORES') =", store.call('ZREVRANGE', BOARD, 0, 2, 'WITHSCORES'))

// A player's place: ZREVRANK counts from the top (0 = first), ZRANK from the bottom.
for (const player of ['bob', 'dee', 'zed']) {
  const fromTop = store.zrevrank(BOARD, player)
  const fromBottom = store.zrank(BOARD, player)
  console.log(fromTop === null ? `${player}: not on the board` : `${player}: place ${fromTop + 1} (ZREVRANK ${fromTop}, ZRANK ${fromBottom})`)
}

// The players around one of them ("you and your neighbours").
const me = 'eve'
const myRank = store.zrevrank(BOARD, me)!
const around = store.zrangeWithScores(BOARD, Math.max(0, myRank - 1), myRank + 1, { rev: true })
console.log(`\nAround ${me}:`, around.map(({ member, score }) => `${member} (${score})`).join(', '))

// Everyone with at least 1100 points, highest first (ZRANGE ... BYSCORE REV, high end first).
console.log('1100 and up:', store.zrange(BOARD, '+inf', 1100, { by: 'score', rev: true }))
console.log('players between 900 and 1100:', store.zcount(BOARD, 900, 1100))
console.log('encoding:', store.call('OBJECT', 'ENCODING', BOARD), `(${store.zcard(BOARD)} players)`)

store.close()
