"""js_bridge/pool.js follows the rule of its Python twin (wgpy_runtime/device/pool.py):
the objects of a key come back in the order of their first arrival, whatever order they
were given back in, and the oldest held are released first past the limit.

Rule: the same steps as tests/runtime/test_device.py's, run in the page.
"""

from __future__ import annotations

from tests.runtime.test_device import POOL_STEPS

STEPS = """async (steps) => {
  const { Pool } = await import("/js_bridge/pool.js");
  const released = [];
  const pool = new Pool((obj) => released.push(obj), 100);
  const objects = [0, 1, 2, 3, 4].map((k) => ({ k }));
  const rounds = [];
  for (const order of steps) {
    for (const k of order) pool.give("a", objects[k], 8);
    const taken = [0, 1, 2].map(() => pool.take("a"));
    for (const obj of [...taken].reverse()) pool.give("a", obj, 8);
    rounds.push([taken.map((o) => o.k), [0, 1, 2, 3, 4].map(() => pool.take("a").k)]);
  }
  for (const k of [4, 0, 3, 1, 2]) pool.give("a", objects[k], 30);  // past 100 bytes
  return { rounds, released: released.map((o) => o.k), held: pool.heldBytes };
}"""


def test_pool_js_hands_out_the_same_objects_whatever_the_free_order(page):
    got = page.evaluate(STEPS, [list(order) for order in POOL_STEPS])
    assert got["rounds"] == [[[0, 1, 2], [0, 1, 2, 3, 4]]] * len(POOL_STEPS)
    assert got["released"] == [4, 0] and got["held"] == 90  # the oldest two
