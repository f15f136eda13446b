CREATE TABLE `config_checks` (
	`repo` text PRIMARY KEY NOT NULL,
	`checked_at` text NOT NULL,
	`stale` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `config_files` (
	`repo` text NOT NULL,
	`position` integer NOT NULL,
	`source_owner` text NOT NULL,
	`source_repo` text NOT NULL,
	`path` text NOT NULL,
	`etag` text,
	`content` text,
	PRIMARY KEY(`repo`, `position`)
);
--> statement-breakpoint
CREATE INDEX `config_files_by_source` ON `config_files` (`source_owner`,`source_repo`);