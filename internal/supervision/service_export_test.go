package supervision

// Live is the engine as the service uses it, for test doubles.
type Live = live

// SetLive plugs a test double in place of the engine.
func (svc *Service) SetLive(l Live) { svc.engine = l }

// AssetKinds are the asset kinds templates match, compared with asset.Kinds.
var AssetKinds = assetKinds
