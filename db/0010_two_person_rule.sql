PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_block_approvals` (
	`repo` text NOT NULL,
	`number` integer NOT NULL,
	`sha256` text NOT NULL,
	`approver` text NOT NULL,
	`via` text NOT NULL,
	`delivery_id` text,
	`approved_at` text NOT NULL,
	`comment_id` integer,
	`withdrawn_at` text,
	PRIMARY KEY(`repo`, `number`, `sha256`, `approver`)
);
--> statement-breakpoint
INSERT INTO `__new_block_approvals`("repo", "number", "sha256", "approver", "via", "delivery_id", "approved_at", "comment_id", "withdrawn_at") SELECT "repo", "number", "sha256", "approver", "via", "delivery_id", "approved_at", NULL, NULL FROM `block_approvals`;--> statement-breakpoint
DROP TABLE `block_approvals`;--> statement-breakpoint
ALTER TABLE `__new_block_approvals` RENAME TO `block_approvals`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
ALTER TABLE `grants` ADD `approvals_required` integer;--> statement-breakpoint
ALTER TABLE `grants` ADD `approved_by` text;