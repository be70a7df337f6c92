// Package webhook delivers the hub's outbox events to department apps following the Standard
// Webhooks specification (standardwebhooks.com).
//
// Events are written to the store's outbox in the transaction of the change they report
// (store.Writer.EnqueueEvent, called by the hub service), with one delivery per matching
// subscription. A Worker claims due deliveries under a lease (store.Webhooks.ClaimDeliveries:
// on PostgreSQL several hub replicas share the work, each delivery handed to one of them at a
// time), POSTs the event with the headers webhook-id (the event id), webhook-timestamp (unix
// seconds) and webhook-signature ("v1,<base64 HMAC-SHA256>", see Sign), and records the
// attempt. A failed attempt is retried on a schedule with jitter (DefaultSchedule: about 28
// hours in all) and then dead-lettered; an administrator may redeliver it. Delivery is at
// least once: a worker that stops between the POST and recording it leaves the delivery to be
// claimed again when its lease expires, so receivers deduplicate on webhook-id.
package webhook
