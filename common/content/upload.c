/*
 * upload.c — uploaded images: sniffed, decoded, re-encoded as WebP
 * variants under the uploads folder; Cloudinary signatures (upload.h).
 */
#include "content/upload.h"
#include "core/buf.h"
#include "core/crypto.h"
#include "core/log.h"

#include <gd.h>

#include <glob.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const int UPLOAD_WIDTHS[UPLOAD_NWIDTHS] = { 480, 960, 1600 };

#define WEBP_QUALITY 80

const char *upload_sniff(const unsigned char *d, size_t len)
{
	if (len >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
		return "image/jpeg";
	if (len >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	if (len >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
		return "image/webp";
	return NULL;
}

/* The size a PNG announces (IHDR), to refuse a decompression bomb before
 * decoding it; true when it could be read. */
static bool png_size(const unsigned char *d, size_t len, uint32_t *w, uint32_t *h)
{
	if (len < 24 || memcmp(d + 12, "IHDR", 4) != 0)
		return false;
	*w = (uint32_t)d[16] << 24 | (uint32_t)d[17] << 16 | (uint32_t)d[18] << 8 | d[19];
	*h = (uint32_t)d[20] << 24 | (uint32_t)d[21] << 16 | (uint32_t)d[22] << 8 | d[23];
	return true;
}

/* Writes `n` bytes to `path` through a temporary file and a rename, so
 * that Caddy never serves half a file. */
static bool write_file(const char *path, const void *data, size_t n)
{
	struct buf tmp = { 0 };
	bool ok = false;
	int fd;

	buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto done;
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, (const char *)data + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			unlink(tmp.data);
			goto done;
		}
		off += (size_t)w;
	}
	if (close(fd) != 0 || rename(tmp.data, path) != 0) {
		unlink(tmp.data);
		goto done;
	}
	ok = true;
done:
	if (!ok)
		log_error("upload: cannot write %s: %s", path, strerror(errno));
	buf_free(&tmp);
	return ok;
}

bool upload_store_local(const char *dir, const char *url_prefix, const unsigned char *data, size_t len,
			json_object **out, struct err *e)
{
	const char *type = upload_sniff(data, len);
	gdImagePtr src = NULL;
	char hash[65];
	struct buf folder = { 0 }, srcset = { 0 };
	json_object *variants = NULL;
	bool ok = false;
	int w, h, last_w = 0;

	*out = NULL;
	if (!type)
		return err_set(e, 415, "unsupported_type", "file",
			       "Seules les images JPEG, PNG et WebP sont acceptées.");
	if (len > INT32_MAX)
		return err_set(e, 413, "too_large", "file", "Image trop lourde.");
	if (strcmp(type, "image/png") == 0) {
		uint32_t pw, ph;
		if (png_size(data, len, &pw, &ph) && (uint64_t)pw * ph > UPLOAD_MAX_PIXELS)
			return err_set(e, 422, "invalid_image", "file", "Image trop grande (40 mégapixels au plus).");
	}
	if (strcmp(type, "image/jpeg") == 0)
		src = gdImageCreateFromJpegPtrEx((int)len, (void *)data, 1);
	else if (strcmp(type, "image/png") == 0)
		src = gdImageCreateFromPngPtr((int)len, (void *)data);
	else
		src = gdImageCreateFromWebpPtr((int)len, (void *)data);
	if (!src)
		return err_set(e, 422, "invalid_image", "file", "Ce fichier n’est pas une image lisible.");
	w = gdImageSX(src);
	h = gdImageSY(src);
	if (w < 1 || h < 1 || (int64_t)w * h > UPLOAD_MAX_PIXELS) {
		err_set(e, 422, "invalid_image", "file", "Image trop grande (40 mégapixels au plus).");
		goto done;
	}
	crypto_sha256_hex(data, len, hash);
	hash[16] = '\0';
	buf_printf(&folder, "%s/images", dir);
	if ((mkdir(dir, 0755) != 0 && errno != EEXIST) || (mkdir(folder.data, 0755) != 0 && errno != EEXIST)) {
		log_error("upload: cannot create %s: %s", folder.data, strerror(errno));
		err_set(e, 500, "internal", NULL, "Internal error.");
		goto done;
	}
	variants = json_object_new_array();
	*out = json_object_new_object();
	for (int i = 0; i < UPLOAD_NWIDTHS; i++) {
		int vw = UPLOAD_WIDTHS[i] < w ? UPLOAD_WIDTHS[i] : w, vh;
		gdImagePtr v;
		void *webp;
		int size = 0;
		struct buf path = { 0 }, url = { 0 };
		json_object *o;

		if (vw <= last_w)   /* an image narrower than the widths: fewer variants */
			break;
		last_w = vw;
		vh = (int)(((int64_t)h * vw + w / 2) / w);
		if (vh < 1)
			vh = 1;
		gdImageSetInterpolationMethod(src, GD_BILINEAR_FIXED);
		v = vw == w ? src : gdImageScale(src, (unsigned)vw, (unsigned)vh);
		if (!v) {
			err_set(e, 500, "internal", NULL, "Internal error.");
			goto done;
		}
		webp = gdImageWebpPtrEx(v, &size, WEBP_QUALITY);
		if (v != src)
			gdImageDestroy(v);
		if (!webp || size <= 0) {
			gdFree(webp);
			err_set(e, 500, "internal", NULL, "Internal error.");
			goto done;
		}
		buf_printf(&path, "%s/%dx%d.%s.webp", folder.data, vw, vh, hash);
		buf_printf(&url, "%s/images/%dx%d.%s.webp", url_prefix, vw, vh, hash);
		bool wrote = write_file(path.data, webp, (size_t)size);
		gdFree(webp);
		buf_free(&path);
		if (!wrote) {
			buf_free(&url);
			err_set(e, 500, "internal", NULL, "Internal error.");
			goto done;
		}
		o = json_object_new_object();
		json_object_object_add(o, "url", json_object_new_string(url.data));
		json_object_object_add(o, "width", json_object_new_int(vw));
		json_object_object_add(o, "height", json_object_new_int(vh));
		json_object_array_add(variants, o);
		buf_printf(&srcset, "%s%s %dw", srcset.len ? ", " : "", url.data, vw);
		json_object_object_add(*out, "url", json_object_new_string(url.data));
		json_object_object_add(*out, "width", json_object_new_int(vw));
		json_object_object_add(*out, "height", json_object_new_int(vh));
		buf_free(&url);
	}
	json_object_object_add(*out, "srcset", json_object_new_string(srcset.data ? srcset.data : ""));
	json_object_object_add(*out, "type", json_object_new_string(type));
	json_object_object_add(*out, "variants", variants);
	variants = NULL;
	ok = true;
done:
	if (!ok) {
		json_object_put(*out);
		*out = NULL;
	}
	json_object_put(variants);
	gdImageDestroy(src);
	buf_free(&folder);
	buf_free(&srcset);
	return ok;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void upload_cloudinary_sign(json_object *params, const char *secret, char sig[41])
{
	const char *keys[64];
	size_t n = 0;
	struct buf s = { 0 };

	json_object_object_foreach(params, k, v) {
		(void)v;
		if (n < sizeof keys / sizeof *keys && strcmp(k, "file") != 0 && strcmp(k, "cloud_name") != 0 &&
		    strcmp(k, "resource_type") != 0 && strcmp(k, "api_key") != 0)
			keys[n++] = k;
	}
	qsort(keys, n, sizeof *keys, key_cmp);
	for (size_t i = 0; i < n; i++) {
		json_object *val = json_object_object_get(params, keys[i]);
		buf_printf(&s, "%s%s=%s", i ? "&" : "", keys[i], json_object_get_string(val));
	}
	buf_str(&s, secret);
	crypto_sha1_hex(s.data, s.len, sig);
	buf_free(&s);
}

/* "/uploads/images/960x640.0123456789abcdef.webp": its hash (16 hex). */
static bool local_variant(const char *url, char hash[17])
{
	const char *p = "/uploads/images/", *name, *dot;
	size_t n;

	if (strncmp(url, p, strlen(p)) != 0)
		return false;
	name = url + strlen(p);
	dot = strchr(name, '.');
	if (!dot || strspn(name, "0123456789x") != (size_t)(dot - name))
		return false;
	n = strspn(dot + 1, "0123456789abcdef");
	if (n != 16 || strcmp(dot + 1 + n, ".webp") != 0)
		return false;
	memcpy(hash, dot + 1, 16);
	hash[16] = '\0';
	return true;
}

json_object *upload_image_json(const char *dir, const char *url, const char *sizes)
{
	json_object *o = json_object_new_object();
	struct buf srcset = { 0 };
	char hash[17];

	json_object_object_add(o, "src", json_object_new_string(url));
	json_object_object_add(o, "sizes", json_object_new_string(sizes));
	if (local_variant(url, hash)) {
		struct buf pattern = { 0 };
		glob_t g;
		int best_w = 0, best_h = 0;
		buf_printf(&pattern, "%s/images/*x*.%s.webp", dir, hash);
		if (glob(pattern.data, 0, NULL, &g) == 0) {
			struct { int w, h; const char *name; } v[16];
			int nv = 0;
			for (size_t i = 0; i < g.gl_pathc && nv < 16; i++) {
				const char *base = strrchr(g.gl_pathv[i], '/');
				if (base && sscanf(base + 1, "%dx%d.", &v[nv].w, &v[nv].h) == 2 && v[nv].w > 0 && v[nv].h > 0)
					v[nv++].name = base + 1;
			}
			for (int i = 1; i < nv; i++)   /* narrowest first */
				for (int j = i; j > 0 && v[j - 1].w > v[j].w; j--) {
					__typeof__(v[0]) t = v[j];
					v[j] = v[j - 1];
					v[j - 1] = t;
				}
			for (int i = 0; i < nv; i++)
				buf_printf(&srcset, "%s/uploads/images/%s %dw", i ? ", " : "", v[i].name, v[i].w);
			if (nv) {
				best_w = v[nv - 1].w;
				best_h = v[nv - 1].h;
			}
			globfree(&g);
		}
		buf_free(&pattern);
		if (best_w) {
			json_object_object_add(o, "width", json_object_new_int(best_w));
			json_object_object_add(o, "height", json_object_new_int(best_h));
		}
	} else if (strncmp(url, "https://res.cloudinary.com/", 27) == 0 && strstr(url, "/image/upload/")) {
		/* Cloudinary makes the sizes and the format on request */
		const char *cut = strstr(url, "/image/upload/") + strlen("/image/upload/");
		for (int i = 0; i < UPLOAD_NWIDTHS; i++)
			buf_printf(&srcset, "%s%.*sf_auto,q_auto,w_%d/%s %dw", i ? ", " : "", (int)(cut - url), url,
				   UPLOAD_WIDTHS[i], cut, UPLOAD_WIDTHS[i]);
	}
	if (srcset.len)
		json_object_object_add(o, "srcset", json_object_new_string(srcset.data));
	buf_free(&srcset);
	return o;
}
