package geom

import "testing"

func TestKeep(t *testing.T) {
	Keep(&Point{X: 1})
	if sink == nil {
		t.Fatal("sink not set")
	}
}
