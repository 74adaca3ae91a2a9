package apptest

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
)

// TB is the part of testing.TB that test environments use (storetest,
// redistest, wiringtest). *testing.T has it; so does Program, which lets a
// load command — a program, not a test — build the very same environment.
type TB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Errorf(format string, args ...any)
	Cleanup(func())
	TempDir() string
}

// Program is a TB for a program's main: Fatal stops Run with the error,
// Errorf is remembered, and cleanups run (last first) when Run returns.
type Program struct {
	cleanups []func()
	errs     []error
}

// programStop is Fatal's panic, recovered by Run.
type programStop struct{ err error }

// RunProgram runs fn with a Program and returns what went wrong: fn's
// error, a Fatal, or an Errorf (a cleanup's, say).
func RunProgram(fn func(t *Program) error) (err error) {
	p := &Program{}
	defer func() {
		if r := recover(); r != nil {
			stop, ok := r.(programStop)
			if !ok {
				panic(r) // a bug: keep its stack
			}
			p.errs = append(p.errs, stop.err)
		}
		for i := len(p.cleanups) - 1; i >= 0; i-- {
			p.cleanups[i]()
		}
		err = errors.Join(append([]error{err}, p.errs...)...)
	}()
	return fn(p)
}

func (p *Program) Helper()                   {}
func (p *Program) Fatal(args ...any)         { panic(programStop{errors.New(fmt.Sprint(args...))}) }
func (p *Program) Cleanup(f func())          { p.cleanups = append(p.cleanups, f) }
func (p *Program) Fatalf(f string, a ...any) { panic(programStop{fmt.Errorf(f, a...)}) }
func (p *Program) Errorf(f string, a ...any) { p.errs = append(p.errs, fmt.Errorf(f, a...)) }

// TempDir is a new directory removed at the end.
func (p *Program) TempDir() string {
	dir, err := os.MkdirTemp("", "waybill-")
	if err != nil {
		p.Fatal(err)
	}
	p.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			p.Errorf("removing %s: %v", dir, err)
		}
	})
	return dir
}

// Parallel runs fn(0..n-1) on c goroutines and returns the first error
// (the load commands' seeding and sending).
func Parallel(c, n int, fn func(i int) error) error {
	var next atomic.Int64
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}
