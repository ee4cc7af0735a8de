/* Runs a libFuzzer harness over files, for compilers without -fsanitize=fuzzer (gcc builds). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char *argv[])
{
        static uint8_t buf[1 << 16];
        for (int i = 1; i < argc; i++) {
                FILE *f = fopen(argv[i], "rb");
                if (!f) {
                        perror(argv[i]);
                        return EXIT_FAILURE;
                }
                size_t n = fread(buf, 1, sizeof buf, f);
                fclose(f);
                LLVMFuzzerTestOneInput(buf, n);
        }
        printf("%d inputs replayed\n", argc - 1);
        return EXIT_SUCCESS;
}
