/*
 * cmd_record.c - `exitlog record`: parse options into struct record_opts
 * and hand over to the recorder.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "recorder/recorder.h"

static const char record_usage[] =
	"usage: exitlog record [-o DB] [--force] [--disk IMG]... [--virtio-disk IMG[,legacy]]...\n"
	"                      [--image-sha256 HEX] [--mem MiB] [--cpus N] [--initrd FILE]\n"
	"                      [--append CMDLINE]\n"
	"                      [--ktrace] [--no-log] GUEST\n"
	"\n"
	"Run GUEST under KVM and log every exit into the SQLite database DB.\n"
	"GUEST is a flat real-mode binary (loaded at 0x7c00, started at 0000:7c00,\n"
	"no BIOS), a Linux bzImage, or an uncompressed Linux vmlinux (x86-64 ELF,\n"
	"entered at e_entry without a decompressor).  COM1 goes to stdout.\n"
	"\n"
	"  -o, --output DB      database to create (default exitlog.db)\n"
	"  -f, --force          replace DB if it exists\n"
	"      --disk IMG       attach a raw image as an IDE disk (ata0, then ata1)\n"
	"      --virtio-disk IMG[,legacy]  attach a raw image as a virtio-blk disk\n"
	"                       (modern virtio-pci, MMIO BAR; ,legacy: legacy IO BAR)\n"
	"      --image-sha256 HEX  the SHA-256 of the image of the disk option before it,\n"
	"                       as you know it: the recorder does not hash that image\n"
	"                       itself (a replay against the image checks the value)\n"
	"      --mem MiB        guest RAM (default 256)\n"
	"      --cpus N         vCPUs, 1..8 (default 1); more than 1 needs a Linux guest\n"
	"      --initrd FILE    initramfs for a Linux guest\n"
	"      --append CMDLINE kernel command line for a Linux guest\n"
	"      --ktrace         also record the exits KVM handles in the kernel\n"
	"      --no-log         run with recording off (overhead baseline)\n"
	"\n"
	"Exit status: 0 the guest ended cleanly (hlt, reset, power-off); 1 it ended\n"
	"badly (triple fault, KVM error, signal); 2 bad input or setup failure.\n";

enum { OPT_DISK = 256, OPT_VDISK, OPT_MEM, OPT_INITRD, OPT_APPEND, OPT_KTRACE, OPT_NOLOG,
       OPT_CPUS, OPT_IMGSHA };

static const struct option record_longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "force", no_argument, NULL, 'f' },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "virtio-disk", required_argument, NULL, OPT_VDISK },
	{ "image-sha256", required_argument, NULL, OPT_IMGSHA },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "ktrace", no_argument, NULL, OPT_KTRACE },
	{ "no-log", no_argument, NULL, OPT_NOLOG },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int record_add_disk(struct record_opts *o, const char *path, enum disk_kind kind)
{
	if (o->ndisks >= BOARD_MAX_DISKS) {
		fprintf(stderr, "exitlog record: at most %d disks\n", BOARD_MAX_DISKS);
		return -1;
	}
	o->disks[o->ndisks].path = path;
	o->disks[o->ndisks].kind = kind;
	o->ndisks++;
	return 0;
}

/* --virtio-disk IMG[,legacy|,modern]: the transport (modern by default).
 * The option is cut off `arg` in place. */
static int record_add_vdisk(struct record_opts *o, char *arg)
{
	char *comma = strrchr(arg, ',');
	enum disk_kind kind = DISK_VIRTIO_MODERN;

	if (comma) {
		if (!strcmp(comma + 1, "legacy")) {
			kind = DISK_VIRTIO;
		} else if (strcmp(comma + 1, "modern")) {
			fprintf(stderr, "exitlog record: --virtio-disk '%s': unknown option '%s' "
				"(legacy or modern)\n", arg, comma + 1);
			return -1;
		}
		*comma = '\0';
	}
	if (!*arg) {
		fprintf(stderr, "exitlog record: --virtio-disk: no image path\n");
		return -1;
	}
	return record_add_disk(o, arg, kind);
}

/*
 * --image-sha256 HEX: the hash of the image of the last disk option, which
 * must not have one yet.  HEX is 64 hex digits (kept lowercase, in place).
 */
static int record_image_sha256(struct record_opts *o, char *hex)
{
	size_t n = strlen(hex);

	if (!o->ndisks || o->disks[o->ndisks - 1].sha256) {
		fprintf(stderr, "exitlog record: --image-sha256 follows the --disk or --virtio-disk "
			"option of its image (one per image)\n");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)hex[i]))
			n = 0;
		hex[i] = (char)tolower((unsigned char)hex[i]);
	}
	if (n != 64) {
		fprintf(stderr, "exitlog record: --image-sha256 '%s': not 64 hex digits\n", hex);
		return -1;
	}
	o->disks[o->ndisks - 1].sha256 = hex;
	return 0;
}

int cmd_record(int argc, char **argv)
{
	struct record_opts o;
	int64_t num;
	int c;

	memset(&o, 0, sizeof(o));
	o.out = "exitlog.db";
	o.mem_mb = 256;
	o.cpus = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:fh", record_longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.out = optarg;
			break;
		case 'f':
			o.force = true;
			break;
		case OPT_DISK:
			if (record_add_disk(&o, optarg, DISK_IDE))
				return 2;
			break;
		case OPT_VDISK:
			if (record_add_vdisk(&o, optarg))
				return 2;
			break;
		case OPT_IMGSHA:
			if (record_image_sha256(&o, optarg))
				return 2;
			break;
		case OPT_MEM:
			if (cli_parse_int(optarg, 10, 1, INT64_MAX, &num)) {
				fprintf(stderr, "exitlog record: --mem '%s': not a size in MiB\n", optarg);
				return 2;
			}
			o.mem_mb = (uint64_t)num;
			break;
		case OPT_CPUS:
			if (cli_parse_int(optarg, 10, 1, 8, &num)) {
				fprintf(stderr, "exitlog record: --cpus '%s': must be 1..8\n", optarg);
				return 2;
			}
			o.cpus = (int)num;
			break;
		case OPT_INITRD:
			o.initrd = optarg;
			break;
		case OPT_APPEND:
			o.append = optarg;
			break;
		case OPT_KTRACE:
			o.ktrace = true;
			break;
		case OPT_NOLOG:
			o.nolog = true;
			break;
		case 'h':
			fputs(record_usage, stdout);
			return 0;
		default:
			fputs(record_usage, stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "exitlog record: expected one GUEST (see 'exitlog record --help')\n");
		return 2;
	}
	o.guest = argv[optind];
	return recorder_run(&o);
}
