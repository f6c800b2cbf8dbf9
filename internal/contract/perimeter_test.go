package contract

import (
	"testing"

	"github.com/vigie-hq/vigie/internal/asset"
)

func TestCovers(t *testing.T) {
	lyon, paris := int64(20), int64(10)
	server := AssetFacts{ID: 1, ClientID: 7, Kind: asset.KindServer, SiteID: &paris, SiteName: "Paris"}
	pc := AssetFacts{ID: 2, ClientID: 7, Kind: asset.KindWorkstation, SiteID: &paris, SiteName: "Paris"}
	pcLyon := AssetFacts{ID: 3, ClientID: 7, Kind: asset.KindWorkstation, SiteID: &lyon, SiteName: "Lyon"}
	pcNoSite := AssetFacts{ID: 4, ClientID: 7, Kind: asset.KindWorkstation}
	workstations := Perimeter{Kinds: []asset.Kind{asset.KindWorkstation}}
	tests := []struct {
		name string
		p    Perimeter
		a    AssetFacts
		in   bool
		why  ReasonCode
		text string
	}{
		// The source text's example: a contract covering workstations only;
		// a server failure is not the provider's responsibility.
		{"workstations only: a server is out", workstations, server, false, ReasonKindNotIncluded, "kind server not in the perimeter"},
		{"workstations only: a workstation is in", workstations, pc, true, ReasonKindIncluded, "kind workstation included"},
		{"empty perimeter covers every kind", Perimeter{}, server, true, ReasonKindIncluded, "kind server included"},
		{"sites: Paris only, Lyon out", Perimeter{Sites: []int64{paris}}, pcLyon, false, ReasonSiteNotIncluded, "site Lyon not in the perimeter"},
		{"sites: Paris only, Paris in", Perimeter{Sites: []int64{paris}}, pc, true, ReasonKindIncluded, "kind workstation included at site Paris"},
		{"sites listed, asset without a site", Perimeter{Sites: []int64{paris}}, pcNoSite, false, ReasonNoSite, "no site, and the perimeter lists sites"},
		{"no sites listed, asset without a site", workstations, pcNoSite, true, ReasonKindIncluded, "kind workstation included"},
		{"explicit inclusion wins over kind", Perimeter{Kinds: []asset.Kind{asset.KindWorkstation}, Include: []int64{server.ID}}, server, true, ReasonIncluded, "explicitly included"},
		{"explicit inclusion wins over site", Perimeter{Sites: []int64{paris}, Include: []int64{pcLyon.ID}}, pcLyon, true, ReasonIncluded, "explicitly included"},
		{"explicit exclusion wins over kind", Perimeter{Kinds: []asset.Kind{asset.KindWorkstation}, Exclude: []int64{pc.ID}}, pc, false, ReasonExcluded, "explicitly excluded"},
		{"exclusion wins over inclusion", Perimeter{Include: []int64{pc.ID}, Exclude: []int64{pc.ID}}, pc, false, ReasonExcluded, "explicitly excluded"},
		{"kind and site both needed", Perimeter{Kinds: []asset.Kind{asset.KindServer}, Sites: []int64{lyon}}, server, false, ReasonSiteNotIncluded, "site Paris not in the perimeter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, why := Covers(tt.p, tt.a)
			if in != tt.in || why.Code != tt.why || why.String() != tt.text {
				t.Errorf("Covers = %v, %q (%s); want %v, %q (%s)", in, why.Code, why, tt.in, tt.why, tt.text)
			}
		})
	}
}

func TestCoverageOf(t *testing.T) {
	pc := AssetFacts{ID: 2, ClientID: 7, Kind: asset.KindWorkstation}
	got := CoverageOf(Contract{}, false, pc)
	if got.In || got.Reason.Code != ReasonNoContract || got.Reason.String() != "no contract in force" || got.ContractID != 0 {
		t.Errorf("without a contract: %+v", got)
	}
	c := Contract{ID: 5, Reference: "INF-1", Perimeter: Perimeter{Kinds: []asset.Kind{asset.KindServer}}}
	got = CoverageOf(c, true, pc)
	if got.In || got.ContractID != 5 || got.Reference != "INF-1" || got.Reason.Code != ReasonKindNotIncluded || got.AssetID != 2 {
		t.Errorf("under a servers-only contract: %+v", got)
	}
}
