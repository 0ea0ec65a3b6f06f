import t from 'tap'
import { maskSecret } from '../../src/core/mask.ts'

t.test('an sk- key keeps its vendor prefix and last 4 chars', async t => {
  t.equal(maskSecret('sk-ant-api03-abcdefghijklmnopqrstuvwxyz1a2b'), 'sk-ant-…1a2b')
  t.equal(maskSecret('sk-proj-abcdefghijklmnopqrstuvwxyz9z9z'), 'sk-proj-…9z9z')
  t.equal(maskSecret('sk-abcdefghijklmnopqrstuvwxyz1234'), 'sk-…1234', 'no second dash: just sk-')
  t.equal(maskSecret('sk-abcdefghijklmnop-qrstuvwxyz1234'), 'sk-…1234', 'a long first group is not shown')
})

t.test('other secrets show their first 3 chars and last 4', async t => {
  t.equal(maskSecret('gho_abcdefghijklmnop1a2b'), 'gho…1a2b')
})

t.test('short secrets reveal at most 2 chars', async t => {
  t.equal(maskSecret(''), '****')
  t.equal(maskSecret('abc1234'), '****')
  t.equal(maskSecret('abcdefgh12'), '…12')
})

t.test('a mask never reveals more than 4 trailing chars of any secret', async t => {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_'
  let seed = 7
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n }
  for (let i = 0; i < 500; i++) {
    const len = rand(80)
    let s = rand(3) === 0 ? 'sk-' : ''
    while (s.length < len) s += alphabet[rand(alphabet.length)]
    const m = maskSecret(s)
    const [head = '', tail = ''] = m.split('…')
    if (!m.includes('…')) { t.equal(m, '****'); continue }
    if (tail.length > 4) t.fail(`tail too long for ${s}: ${m}`)
    if (!s.endsWith(tail)) t.fail(`tail not from the end for ${s}: ${m}`)
    if (s.length > 0 && tail.length > 0 && !s.startsWith(head)) t.fail(`head not a prefix for ${s}: ${m}`)
    // The hidden middle is always at least 8 chars for secrets of 12+.
    if (s.length >= 12 && s.length - head.length - tail.length < 8) t.fail(`too little hidden for ${s}: ${m}`)
  }
  t.pass('checked 500 random secrets')
})
