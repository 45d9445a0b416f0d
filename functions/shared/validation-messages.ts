/**
 * Handler input is checked with zod/mini (the schema library's light build: it
 * tree-shakes to what a check uses), which says only "Invalid input" unless told
 * its messages. Imported for this effect by every module that checks input.
 */
import * as z from 'zod/mini';
import { en } from 'zod/v4/locales';

z.config(en());
