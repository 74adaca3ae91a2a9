package server

import (
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/waybill-app/waybill/app"
)

// dataRequestsPerPage is how many data requests a page of the list holds.
const dataRequestsPerPage = 50

// dataRequestRoutes adds this area's admin routes (all behind the session token).
func (s *Server) dataRequestRoutes(g *echo.Group) {
	g.GET("/data-requests", s.listDataRequests)
}

// dataRequestJSON is a customers/data_request as the admin shows it: who
// asked, which orders Shopify named, and what Waybill holds about them —
// ready for the merchant to send to the customer.
type dataRequestJSON struct {
	ID              string         `json:"id"`
	CreatedAt       time.Time      `json:"created_at"`
	Customer        customerJSON   `json:"customer"`
	OrdersRequested []int64        `json:"orders_requested"`
	Report          dataReportJSON `json:"report"`
}

type customerJSON struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
}

type dataReportJSON struct {
	Orders    []reportOrderJSON    `json:"orders"`
	Shipments []reportShipmentJSON `json:"shipments"`
	Texts     []reportTextJSON     `json:"texts"`
}

type reportOrderJSON struct {
	ID                int64  `json:"id"`
	Name              string `json:"name"`
	Email             string `json:"email"`
	CustomerID        int64  `json:"customer_id"`
	CustomerFirstName string `json:"customer_first_name"`
	CustomerLocale    string `json:"customer_locale"`
	ShippingCountry   string `json:"shipping_country"`
	// Phone is the order's phone (E.164) from Shopify; NotifyPhone the one
	// the customer gave on the tracking page for texts ("" when none).
	Phone       string               `json:"phone"`
	NotifyPhone string               `json:"notify_phone"`
	LineItems   []reportLineItemJSON `json:"line_items"`
	UpdatedAt   time.Time            `json:"updated_at"`
}

type reportLineItemJSON struct {
	ID       int64  `json:"id"`
	SKU      string `json:"sku"`
	Title    string `json:"title"`
	Quantity int    `json:"quantity"`
}

type reportShipmentJSON struct {
	ID                  string               `json:"id"`
	OrderID             int64                `json:"order_id"`
	OrderName           string               `json:"order_name"`
	TrackingNumber      string               `json:"tracking_number"`
	Carrier             string               `json:"carrier"`
	TrackingURL         string               `json:"tracking_url"`
	State               app.ShipmentState    `json:"state"`
	Status              app.ParcelStatus     `json:"status"`
	ShippedAt           *time.Time           `json:"shipped_at"`
	EstimatedDeliveryAt *time.Time           `json:"estimated_delivery_at"`
	LineItems           []reportLineItemJSON `json:"line_items"`
	CreatedAt           time.Time            `json:"created_at"`
}

// reportTextJSON is a WhatsApp or SMS message sent (or not) to the
// customer about one of the shipments; the number it went to is the
// order's (phone or notify_phone).
type reportTextJSON struct {
	ID             string                `json:"id"`
	ShipmentID     string                `json:"shipment_id"`
	OrderID        int64                 `json:"order_id"`
	OrderName      string                `json:"order_name"`
	TrackingNumber string                `json:"tracking_number"`
	Channel        app.Channel           `json:"channel"`
	Event          app.NotificationEvent `json:"event"`
	Locale         string                `json:"locale"`
	Status         app.TextStatus        `json:"status"`
	QueuedAt       time.Time             `json:"queued_at"`
	SentAt         *time.Time            `json:"sent_at"`
	DeliveredAt    *time.Time            `json:"delivered_at"`
	ReadAt         *time.Time            `json:"read_at"`
}

func toDataRequestJSON(d app.DataRequest) dataRequestJSON {
	out := dataRequestJSON{ID: d.ID, CreatedAt: d.CreatedAt, Customer: customerJSON{ID: d.Customer.ID, Email: d.Customer.Email},
		OrdersRequested: append([]int64{}, d.OrdersRequested...),
		Report:          dataReportJSON{Orders: []reportOrderJSON{}, Shipments: []reportShipmentJSON{}, Texts: []reportTextJSON{}}}
	for _, o := range d.Report.Orders {
		lines := make([]reportLineItemJSON, len(o.LineItems))
		for i, l := range o.LineItems {
			lines[i] = reportLineItemJSON{ID: l.ID, SKU: l.SKU, Title: l.Title, Quantity: l.Quantity}
		}
		out.Report.Orders = append(out.Report.Orders, reportOrderJSON{ID: o.ID, Name: o.Name, Email: o.Email, CustomerID: o.CustomerID,
			CustomerFirstName: o.CustomerFirstName, CustomerLocale: o.CustomerLocale, ShippingCountry: o.ShippingCountry,
			Phone: o.Phone, NotifyPhone: o.NotifyPhone, LineItems: lines, UpdatedAt: o.ShopifyUpdatedAt})
	}
	for _, sh := range d.Report.Shipments {
		lines := make([]reportLineItemJSON, len(sh.LineItems))
		for i, l := range sh.LineItems {
			lines[i] = reportLineItemJSON{ID: l.LineItemID, SKU: l.SKU, Title: l.Title, Quantity: l.Quantity}
		}
		out.Report.Shipments = append(out.Report.Shipments, reportShipmentJSON{ID: sh.ID, OrderID: sh.OrderID, OrderName: sh.OrderName,
			TrackingNumber: sh.TrackingNumber, Carrier: sh.Carrier, TrackingURL: sh.TrackingURL, State: sh.State, Status: sh.Status,
			ShippedAt: sh.ShippedAt, EstimatedDeliveryAt: sh.EstimatedDeliveryAt, LineItems: lines, CreatedAt: sh.CreatedAt})
	}
	for _, m := range d.Report.Texts {
		v := reportTextJSON{ID: m.ID, ShipmentID: m.ShipmentID, Channel: m.Channel, Event: m.Event, Locale: m.Locale, Status: m.Status,
			QueuedAt: m.QueuedAt, SentAt: m.SentAt, DeliveredAt: m.DeliveredAt, ReadAt: m.ReadAt}
		if i := slices.IndexFunc(d.Report.Shipments, func(sh app.Shipment) bool { return sh.ID == m.ShipmentID }); i >= 0 {
			sh := d.Report.Shipments[i]
			v.OrderID, v.OrderName, v.TrackingNumber = sh.OrderID, sh.OrderName, sh.TrackingNumber
		}
		out.Report.Texts = append(out.Report.Texts, v)
	}
	return out
}

// listDataRequests is GET /api/admin/data-requests?page=: the shop's
// customer data requests, newest first, with their reports.
func (s *Server) listDataRequests(c echo.Context) error {
	page, err := pageParam(c)
	if err != nil {
		return err
	}
	items, total, err := s.deps.Privacy.ListDataRequests(c.Request().Context(), shopOf(c).ID, page, dataRequestsPerPage)
	if err != nil {
		return err
	}
	out := make([]dataRequestJSON, len(items))
	for i, d := range items {
		out[i] = toDataRequestJSON(d)
	}
	return c.JSON(http.StatusOK, map[string]any{"data_requests": out, "total": total, "page": page, "per_page": dataRequestsPerPage})
}
