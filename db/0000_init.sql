CREATE TABLE `approval_issues` (
	`repo` text NOT NULL,
	`number` integer NOT NULL,
	`url` text NOT NULL,
	`presence` text NOT NULL,
	`facts` text NOT NULL,
	`block_sha` text,
	`status_comment_id` integer,
	`status_comment_digest` text,
	`last_error` text,
	`synced_at` text NOT NULL,
	PRIMARY KEY(`repo`, `number`)
);
--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`repo` text NOT NULL,
	`delivery_id` text,
	`event` text NOT NULL,
	`actor` text,
	`subject` text NOT NULL,
	`change` text NOT NULL,
	`at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_by_repo` ON `audit_log` (`repo`,`id`);--> statement-breakpoint
CREATE TABLE `block_approvals` (
	`repo` text NOT NULL,
	`number` integer NOT NULL,
	`sha256` text NOT NULL,
	`approver` text NOT NULL,
	`via` text NOT NULL,
	`delivery_id` text,
	`approved_at` text NOT NULL,
	PRIMARY KEY(`repo`, `number`, `sha256`)
);
--> statement-breakpoint
CREATE TABLE `block_versions` (
	`repo` text NOT NULL,
	`number` integer NOT NULL,
	`sha256` text NOT NULL,
	`text` text NOT NULL,
	`first_seen_at` text NOT NULL,
	PRIMARY KEY(`repo`, `number`, `sha256`)
);
--> statement-breakpoint
CREATE TABLE `declared_lanes` (
	`repo` text NOT NULL,
	`lane` text NOT NULL,
	`data_authority` text NOT NULL,
	`flags` text NOT NULL,
	PRIMARY KEY(`repo`, `lane`)
);
--> statement-breakpoint
CREATE TABLE `deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`event` text NOT NULL,
	`repo` text,
	`applied_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `grants` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`repo` text NOT NULL,
	`lane` text NOT NULL,
	`issue_number` integer NOT NULL,
	`block_sha` text,
	`label_event_id` text,
	`policy` text,
	`expires_at` text,
	`approver` text,
	`approved_at` text,
	`state` text NOT NULL,
	`reason` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`ended_at` text,
	`ended_by` text
);
--> statement-breakpoint
CREATE INDEX `grants_by_lane` ON `grants` (`repo`,`lane`,`id`);--> statement-breakpoint
CREATE INDEX `grants_by_issue` ON `grants` (`repo`,`issue_number`);--> statement-breakpoint
CREATE TABLE `repositories` (
	`repo` text PRIMARY KEY NOT NULL,
	`installation_id` integer,
	`config_status` text NOT NULL,
	`config_errors` text NOT NULL,
	`config` text,
	`checked_at` text NOT NULL
);
