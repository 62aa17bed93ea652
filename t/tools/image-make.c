/*
 * image-make — writes a test image on stdout with libgd: a gradient of
 * WIDTH × HEIGHT as jpeg, png or webp, for the upload tests (Debian's
 * Perl and Python have no image library).
 *   image-make jpeg|png|webp WIDTH HEIGHT > file
 */
#include <gd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	gdImagePtr im;
	void *data = NULL;
	int w, h, size = 0;

	if (argc != 4 || (w = atoi(argv[2])) < 1 || (h = atoi(argv[3])) < 1 || w > 10000 || h > 10000) {
		fprintf(stderr, "usage: image-make jpeg|png|webp WIDTH HEIGHT\n");
		return 2;
	}
	im = gdImageCreateTrueColor(w, h);
	if (!im)
		return 1;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			gdImageSetPixel(im, x, y, gdTrueColor(x * 255 / w, y * 255 / h, 128));
	if (strcmp(argv[1], "jpeg") == 0)
		data = gdImageJpegPtr(im, &size, 85);
	else if (strcmp(argv[1], "png") == 0)
		data = gdImagePngPtr(im, &size);
	else if (strcmp(argv[1], "webp") == 0)
		data = gdImageWebpPtrEx(im, &size, 80);
	gdImageDestroy(im);
	if (!data || size <= 0 || fwrite(data, 1, (size_t)size, stdout) != (size_t)size) {
		gdFree(data);
		return 1;
	}
	gdFree(data);
	return 0;
}
