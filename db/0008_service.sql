CREATE TABLE `redeliveries` (
	`guid` text PRIMARY KEY NOT NULL,
	`hook_delivery_id` integer NOT NULL,
	`event` text NOT NULL,
	`status_code` integer NOT NULL,
	`delivered_at` text NOT NULL,
	`asked_at` text NOT NULL,
	`result` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `rejected_deliveries` (
	`guid` text PRIMARY KEY NOT NULL,
	`event` text NOT NULL,
	`reason` text NOT NULL,
	`at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `service_state` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` text NOT NULL
);
