// lib/net/socket/socket.ts's SocketSet bookkeeping against a model: sockets
// that say when they are due and when they may park are added, removed,
// woken and dispatched at random; each must be dispatched exactly when it is
// due (parked or not), and the walk and parked counts must add up.
import { SocketSet, Socket, Egress, SendError } from "atoll/net/socket/socket";
import { Icmpv4Repr } from "atoll/net/wire/icmpv4";
import { Ipv4Addr } from "atoll/net/addr";
import { FOREVER } from "atoll/time";
import { Rng } from "./net-util";

class NoEgress extends Egress {
  get address(): Ipv4Addr { return 0; }
  get mtu(): i32 { return 1500; }
  canReach(dst: Ipv4Addr): bool { return false; }
  sendUdp(src: Ipv4Addr, srcPort: u16, dst: Ipv4Addr, dstPort: u16, payload: Uint8Array, now: i64): SendError { return SendError.NoRoute; }
  sendIcmp(dst: Ipv4Addr, repr: Icmpv4Repr, now: i64): SendError { return SendError.NoRoute; }
}

/** A socket due at `due` (FOREVER: never) that parks whenever it is not due. */
class Sleeper extends Socket {
  due: i64 = FOREVER;
  dispatched: i32 = 0;
  get takesDatagrams(): bool { return false; }
  pollAt(): i64 { return this.due; }
  get parkUntil(): i64 { return this.due; }
  dispatch(now: i64, egress: Egress): void {
    assert(now >= this.due, "dispatched before it was due");
    this.dispatched++;
    this.due = FOREVER;
  }
}

export function test_random_add_remove_wake_dispatch(): void {
  const rng = new Rng(77);
  const set = new SocketSet(new NoEgress());
  const all: Sleeper[] = [];
  let now: i64 = 0;
  let members = 0;
  for (let step = 0; step < 20000; step++) {
    const op = rng.below(10);
    if (op < 3 || all.length == 0) {
      const s = new Sleeper();
      s.due = rng.below(3) == 0 ? FOREVER : now + <i64>rng.below(100);
      all.push(s);
      assert(set.add(s));
      members++;
    } else if (op < 4) {
      const s = all[rng.below(all.length)];
      if (s.set != null) members--;
      set.remove(s);
      assert(s.set == null);
    } else if (op < 6) {
      // The application gives a socket work: it changes its instant and wakes itself.
      const s = all[rng.below(all.length)];
      s.due = rng.below(2) == 0 ? now : now + <i64>rng.below(100);
      set.wake(s);
    } else {
      now += <i64>rng.below(30);
      set.dispatch(now);
      // Whatever was due has run: nothing in the set is overdue now.
      for (let i = 0; i < all.length; i++) {
        const s = all[i];
        if (s.set == null) continue;
        assert(s.due > now, "socket " + i.toString() + " due at " + s.due.toString() + " not dispatched at " + now.toString());
      }
      const p = set.pollAt();
      let want = FOREVER;
      for (let i = 0; i < all.length; i++) if (all[i].set != null) want = min(want, all[i].due);
      assert(p <= want, "pollAt " + p.toString() + " later than the earliest due " + want.toString());
    }
    assert(set.walkCount + set.parkedCount == members, "walk " + set.walkCount.toString() + " + parked " + set.parkedCount.toString() + " != " + members.toString());
  }
}

export function test_mass_wake_and_park(): void {
  // Thousands of sockets parked for the same instant wake together and park again.
  const set = new SocketSet(new NoEgress());
  const n = 20000;
  const all: Sleeper[] = [];
  for (let i = 0; i < n; i++) {
    const s = new Sleeper();
    s.due = 1000;
    all.push(s);
    set.add(s);
  }
  set.dispatch(0);
  assert(set.parkedCount == n && set.walkCount == 0);
  set.dispatch(1000);
  for (let i = 0; i < n; i++) assert(all[i].dispatched == 1);
  assert(set.parkedCount == n && set.walkCount == 0, "all parked again, forever");
  for (let i = 0; i < n; i += 2) set.remove(all[i]);
  assert(set.parkedCount == n / 2);
}
