package contract

import (
	"fmt"
	"slices"

	"github.com/vigie-hq/vigie/internal/asset"
)

// Perimeter is what a contract covers: kinds of assets and sites, with
// explicit exceptions. An exception wins over kinds and sites.
type Perimeter struct {
	// Kinds included; empty: every kind.
	Kinds []asset.Kind `json:"kinds"`
	// Sites included (site ids of the client); empty: every site, and
	// assets without a site.
	Sites []int64 `json:"sites"`
	// Include are assets covered whatever their kind and site.
	Include []int64 `json:"include"`
	// Exclude are assets never covered.
	Exclude []int64 `json:"exclude"`
}

// AssetFacts are what the perimeter rule needs to know of an asset.
type AssetFacts struct {
	ID       int64      `json:"id"`
	ClientID int64      `json:"client_id"`
	Kind     asset.Kind `json:"kind"`
	SiteID   *int64     `json:"site_id"`
	// SiteName is the site's name, for the reason shown ("" without a site).
	SiteName string `json:"site_name"`
}

// ReasonCode says why an asset is in or out of a perimeter. The UI
// translates it as "contract.reason.<code>" with the Reason's Kind and Site.
type ReasonCode string

// Reason codes.
const (
	ReasonIncluded        ReasonCode = "included"          // explicitly included
	ReasonExcluded        ReasonCode = "excluded"          // explicitly excluded
	ReasonKindIncluded    ReasonCode = "kind_included"     // its kind is in, and its site if sites are listed
	ReasonKindNotIncluded ReasonCode = "kind_not_included" // its kind is not in the perimeter
	ReasonSiteNotIncluded ReasonCode = "site_not_included" // its site is not in the perimeter
	ReasonNoSite          ReasonCode = "no_site"           // sites are listed and the asset has none
	ReasonNoContract      ReasonCode = "no_contract"       // no contract in force for its client
)

// Reason is why an asset is in or out, with what the text names.
type Reason struct {
	Code ReasonCode `json:"code"`
	Kind asset.Kind `json:"kind,omitempty"`
	Site string     `json:"site,omitempty"`
}

// String returns the reason in English, for logs and the API's detail.
func (r Reason) String() string {
	switch r.Code {
	case ReasonIncluded:
		return "explicitly included"
	case ReasonExcluded:
		return "explicitly excluded"
	case ReasonKindIncluded:
		if r.Site != "" {
			return fmt.Sprintf("kind %s included at site %s", r.Kind, r.Site)
		}
		return fmt.Sprintf("kind %s included", r.Kind)
	case ReasonKindNotIncluded:
		return fmt.Sprintf("kind %s not in the perimeter", r.Kind)
	case ReasonSiteNotIncluded:
		return fmt.Sprintf("site %s not in the perimeter", r.Site)
	case ReasonNoSite:
		return "no site, and the perimeter lists sites"
	case ReasonNoContract:
		return "no contract in force"
	}
	return string(r.Code)
}

// Covers reports whether the perimeter covers an asset, and why. Explicit
// exclusion wins over explicit inclusion (an asset named in both is refused
// by validation), and both win over kinds and sites.
func Covers(p Perimeter, a AssetFacts) (in bool, why Reason) {
	switch {
	case slices.Contains(p.Exclude, a.ID):
		return false, Reason{Code: ReasonExcluded}
	case slices.Contains(p.Include, a.ID):
		return true, Reason{Code: ReasonIncluded}
	case len(p.Kinds) > 0 && !slices.Contains(p.Kinds, a.Kind):
		return false, Reason{Code: ReasonKindNotIncluded, Kind: a.Kind}
	}
	if len(p.Sites) == 0 {
		return true, Reason{Code: ReasonKindIncluded, Kind: a.Kind}
	}
	if a.SiteID == nil {
		return false, Reason{Code: ReasonNoSite, Kind: a.Kind}
	}
	if !slices.Contains(p.Sites, *a.SiteID) {
		return false, Reason{Code: ReasonSiteNotIncluded, Kind: a.Kind, Site: a.SiteName}
	}
	return true, Reason{Code: ReasonKindIncluded, Kind: a.Kind, Site: a.SiteName}
}

// Coverage is the answer to "is this asset covered now, and why".
type Coverage struct {
	AssetID int64 `json:"asset_id"`
	// ContractID and Reference name the contract in force (0 and "" when none).
	ContractID int64  `json:"contract_id"`
	Reference  string `json:"reference"`
	In         bool   `json:"in"`
	Reason     Reason `json:"reason"`
}

// CoverageOf returns the coverage of an asset under the contract in force,
// if any: without one, nothing is covered.
func CoverageOf(c Contract, inForce bool, a AssetFacts) Coverage {
	if !inForce {
		return Coverage{AssetID: a.ID, Reason: Reason{Code: ReasonNoContract}}
	}
	in, why := Covers(c.Perimeter, a)
	return Coverage{AssetID: a.ID, ContractID: c.ID, Reference: c.Reference, In: in, Reason: why}
}
