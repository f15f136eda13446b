CREATE TABLE `job_leases` (
	`job` text PRIMARY KEY NOT NULL,
	`holder` text NOT NULL,
	`since` text NOT NULL,
	`expires_at` text NOT NULL
);
--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`event` text NOT NULL,
	`repo` text,
	`state` text DEFAULT 'applied' NOT NULL,
	`holder` text,
	`expires_at` text,
	`applied_at` text
);
--> statement-breakpoint
INSERT INTO `__new_deliveries`("id", "event", "repo", "state", "applied_at") SELECT "id", "event", "repo", 'applied', "applied_at" FROM `deliveries`;--> statement-breakpoint
DROP TABLE `deliveries`;--> statement-breakpoint
ALTER TABLE `__new_deliveries` RENAME TO `deliveries`;--> statement-breakpoint
PRAGMA foreign_keys=ON;