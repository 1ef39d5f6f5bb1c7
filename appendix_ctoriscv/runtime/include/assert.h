/* assert.h: assert(e) reports a false e on stderr (file, line and the expression's text),
 * then aborts; with NDEBUG defined it is nothing at all. Unlike the other headers it
 * has no guard: C says each inclusion redefines assert for the NDEBUG of that moment. */
#undef assert
#ifdef NDEBUG
#define assert(e) ((void)0)
#else
void __assert_fail(const char *expr, const char *file, int line);
#define assert(e) ((e) ? (void)0 : __assert_fail(#e, __FILE__, __LINE__))
#endif
