// go_panic: goroutines on several threads, the Go runtime's own preemption signals, and a
// nil-pointer dereference that panics (exit status 2).
//
// Four goroutines hash in tight loops without function calls, so the scheduler can only stop
// them with its asynchronous preemption signal (SIGURG, sent by sysmon with tgkill). They hand
// their results through a channel; the program then dereferences a nil pointer chosen by the
// combined result, and the runtime panics: "invalid memory address or nil pointer
// dereference", exit status 2. Go makes its syscalls itself, without libc.
package main

import (
	"fmt"
	"os"
	"runtime"
)

type node struct {
	next  *node
	value uint64
}

func spin(id uint64, rounds int, out chan<- uint64) {
	h := uint64(1469598103934665603) ^ id
	for i := 0; i < rounds; i++ {
		h = (h ^ uint64(i)) * 1099511628211
	}
	out <- h
}

func main() {
	runtime.GOMAXPROCS(4)
	out := make(chan uint64)
	for id := uint64(1); id <= 4; id++ {
		go spin(id, 40_000_000, out)
	}
	var total uint64
	for i := 0; i < 4; i++ {
		total = total*31 + <-out
	}
	list := &node{value: total}
	if total%2 == 0 {
		list.next = &node{value: 1}
	}
	fmt.Fprintf(os.Stderr, "go_panic: total %x\n", total)
	// Odd totals have no second node: a nil-pointer dereference, and the runtime panics.
	for n := list; ; n = n.next.next {
		total += n.value
		_ = total
	}
}
