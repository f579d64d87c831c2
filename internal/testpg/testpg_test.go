package testpg_test

import (
	"context"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mcpgw/mcp-gateway/internal/testpg"
)

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func TestStart(t *testing.T) {
	begin := time.Now()
	dsn := testpg.Start(t)
	t.Logf("Start took %v", time.Since(begin))
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme != "postgres" || u.User.Username() != testpg.Superuser ||
		!strings.HasPrefix(u.Host, "127.0.0.1:") || u.Path != "/"+testpg.Database || u.Query().Get("sslmode") != "disable" {
		t.Fatalf("DSN %q (%v)", dsn, err)
	}
	ctx := context.Background()
	c := connect(t, dsn)

	var db, who, fsync, enc string
	if err := c.QueryRow(ctx, "SELECT current_database(), current_user, current_setting('fsync'), current_setting('server_encoding')").Scan(&db, &who, &fsync, &enc); err != nil {
		t.Fatal(err)
	}
	if db != testpg.Database || who != testpg.Superuser || fsync != "off" || enc != "UTF8" {
		t.Fatalf("database %q user %q fsync %q encoding %q", db, who, fsync, enc)
	}

	if _, err := c.Exec(ctx, "CREATE TABLE t (id bigserial PRIMARY KEY, s text NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "INSERT INTO t (s) VALUES ($1), ($2)", "héllo", "wörld ☃"); err != nil {
		t.Fatal(err)
	}
	rows, err := c.Query(ctx, "SELECT id, s FROM t ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		ID int64
		S  string
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != (row{1, "héllo"}) || got[1] != (row{2, "wörld ☃"}) {
		t.Fatalf("rows %v", got)
	}
}

func TestTwoServersAreIndependent(t *testing.T) {
	ctx := context.Background()
	begin := time.Now()
	dsnA, dsnB := testpg.Start(t), testpg.Start(t)
	t.Logf("two Starts took %v", time.Since(begin))
	if dsnA == dsnB {
		t.Fatalf("both servers have DSN %s", dsnA)
	}
	a, b := connect(t, dsnA), connect(t, dsnB)
	if _, err := a.Exec(ctx, "CREATE TABLE only_in_a (x int); INSERT INTO only_in_a VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Exec(ctx, "CREATE TABLE only_in_b (x int); INSERT INTO only_in_b VALUES (2), (3)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := a.QueryRow(ctx, "SELECT count(*) FROM only_in_a").Scan(&n); err != nil || n != 1 {
		t.Fatalf("a: %d rows, %v", n, err)
	}
	if err := b.QueryRow(ctx, "SELECT count(*) FROM only_in_b").Scan(&n); err != nil || n != 2 {
		t.Fatalf("b: %d rows, %v", n, err)
	}
	for _, q := range []struct {
		c     *pgx.Conn
		table string
	}{{a, "only_in_b"}, {b, "only_in_a"}} {
		var reg *string
		if err := q.c.QueryRow(ctx, "SELECT to_regclass($1)::text", q.table).Scan(&reg); err != nil || reg != nil {
			t.Errorf("table %s seen in the other server: %v %v", q.table, reg, err)
		}
	}
}

func TestParallelStarts(t *testing.T) {
	for i := range 3 {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			c := connect(t, testpg.Start(t))
			var n int
			if err := c.QueryRow(context.Background(), "SELECT $1::int + 1", i).Scan(&n); err != nil || n != i+1 {
				t.Fatalf("%d %v", n, err)
			}
		})
	}
}

func TestCleanupStopsServer(t *testing.T) {
	var dsn, dataDir string
	t.Run("server", func(t *testing.T) {
		dsn = testpg.Start(t)
		c := connect(t, dsn)
		if err := c.QueryRow(context.Background(), "SELECT current_setting('data_directory')").Scan(&dataDir); err != nil {
			t.Fatal(err)
		}
	})
	if t.Failed() || dsn == "" {
		return // the subtest failed or skipped
	}
	u, _ := url.Parse(dsn)
	if c, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after the test ended", u.Host)
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Errorf("data directory %s still there after the test ended (%v)", dataDir, err)
	}
}
