package api

// ratingInput is the body of POST /tickets/{id}/rating.
type ratingInput struct {
	Score   int    `json:"score" doc:"required;1 (not at all satisfied) to 5 (very satisfied)"`
	Comment string `json:"comment" doc:"At most 2000 characters"`
}

func (a *API) getRating(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	return a.d.Tickets.RatingOf(c.r.Context(), c.scope, id)
}

func (a *API) rateTicket(c *call) (any, error) {
	id, err := c.id("id")
	if err != nil {
		return nil, err
	}
	var in ratingInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	r, err := a.d.Tickets.RateAs(c.r.Context(), c.scope, id, in.Score, in.Comment)
	if err != nil {
		return nil, err
	}
	return r, nil
}
