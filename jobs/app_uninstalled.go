package jobs

import (
	"context"

	"github.com/waybill-app/waybill/app"
)

// TypeAppUninstalled marks the shop uninstalled: its tokens are destroyed and
// its pending jobs become no-ops (every handler checks the shop first).
const TypeAppUninstalled = "app:uninstalled"

func (d Deps) handleAppUninstalled(ctx context.Context, shop *app.Shop, _ WebhookPayload) error {
	if err := d.Shops.MarkUninstalled(ctx, shop.Domain); err != nil {
		return err
	}
	d.Log.InfoContext(ctx, "shop uninstalled", "shop", shop.Domain)
	return nil
}
