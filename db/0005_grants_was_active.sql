ALTER TABLE `grants` ADD `was_active` integer DEFAULT false NOT NULL;--> statement-breakpoint
UPDATE `grants` SET `was_active` = 1 WHERE `state` IN ('active', 'expired');
