package testredis

import (
	"context"
	"testing"
	"time"
)

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	r := Start(t)
	c := r.Client()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET on a started server: %v", err)
	}

	r.Kill()
	if err := ping(r.Addr()); err == nil {
		t.Fatal("a killed server answers PING")
	}
	r.Kill() // twice is harmless

	r.Restart()
	if err := ping(r.Addr()); err != nil {
		t.Fatalf("restarted server: %v", err)
	}
	if n, err := c.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS k after a restart = %d, %v; want 0 (no persistence)", n, err)
	}

	if err := r.Pause(); err != nil {
		t.Fatal(err)
	}
	if err := ping(r.Addr()); err == nil {
		t.Fatal("a paused server answers PING")
	}
	if err := r.Resume(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for ping(r.Addr()) != nil {
		if time.Now().After(deadline) {
			t.Fatal("a resumed server does not answer PING")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := r.FlushAll(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestPausedServerIsKilled(t *testing.T) {
	var r *Server
	t.Run("paused", func(t *testing.T) {
		r = Start(t)
		if err := r.Pause(); err != nil {
			t.Fatal(err)
		}
	})
	// The subtest's cleanup killed the paused server.
	if err := ping(r.Addr()); err == nil {
		t.Fatal("the server outlived its test")
	}
	if err := r.Resume(); err == nil {
		t.Fatal("Resume of a killed server succeeded")
	}
}
