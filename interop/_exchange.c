/* The DLPack C exchange API (DLPack 1.3, `type(x).__dlpack_c_exchange_api__`) as two
 * remembered routes between NumPy and a framework that offers it (torch 2.13+, Paddle).
 *
 * Why: the framework's Python-level calls (`Tensor.numpy()`, `torch.from_numpy`) cost a
 * Python method frame and argument parsing each; the table's C functions describe or adopt
 * a tensor with none of that, so a remembered route through them runs below the native
 * call.  The rules stay those of the planner: every value a route cannot take as it is
 * (another type, a read-only, unaligned, byte-swapped or negatively strided array, an
 * unknown dtype, a conj/neg-bit tensor, a tensor off the host) raises `fallback`, which
 * sends it to the keyed routes and the planner, and never reaches a call that throws.
 *
 *   ToNumpy(api, dtypes, exact, other, fallback, check_bits=True)(t) -> ndarray viewing t
 *       (base: t).  dtypes: ((code, bits, numpy dtype), ...); exact: the types the table
 *       serves (other types go to `other(t)`, the Python-level native call); check_bits:
 *       ask t.is_neg() / t.is_conj() (torch's lazy bits, which the table exports raw).
 *   FromNumpy(api, dtypes, other, fallback)(a) -> framework tensor owning a reference to a
 *       dtypes: ((numpy dtype, code, bits), ...); subclasses of ndarray go to `other(a)`.
 *
 * The structs below follow the DLPack 1.3 header (dlpack.h) field for field.
 */
#define PY_SSIZE_T_CLEAN
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <Python.h>
#include <structmember.h>
#include <stdint.h>
#include <stdlib.h>
#include <numpy/arrayobject.h>

typedef struct { uint32_t major, minor; } DLPackVersion;
typedef struct { int32_t device_type, device_id; } DLDevice;
typedef struct { uint8_t code, bits; uint16_t lanes; } DLDataType;
typedef struct {
    void *data;
    DLDevice device;
    int32_t ndim;
    DLDataType dtype;
    int64_t *shape;
    int64_t *strides;
    uint64_t byte_offset;
} DLTensor;
typedef struct DLManagedTensorVersioned {
    DLPackVersion version;
    void *manager_ctx;
    void (*deleter)(struct DLManagedTensorVersioned *self);
    uint64_t flags;
    DLTensor dl_tensor;
} DLManagedTensorVersioned;
typedef struct {
    DLPackVersion version;
    void *prev_api;
    void *managed_tensor_allocator;
    int (*managed_tensor_from_py_object_no_sync)(void *, DLManagedTensorVersioned **);
    int (*managed_tensor_to_py_object_no_sync)(DLManagedTensorVersioned *, void **);
    int (*dltensor_from_py_object_no_sync)(void *, DLTensor *);
    int (*current_work_stream)(int32_t, int32_t, void **);
} DLPackExchangeAPI;

#if PY_VERSION_HEX >= 0x030D0000
#define IS_FINALIZING() Py_IsFinalizing()
#else
#define IS_FINALIZING() _Py_IsFinalizing()
#endif

#define KDL_CPU 1
#define KDL_COMPLEX 5
#define MAX_DTYPES 48

typedef struct {
    PyObject *descr;  /* a NumPy dtype (strong reference) */
    uint8_t code, bits;
} DtypeRow;

typedef struct {
    PyObject_HEAD
    const DLPackExchangeAPI *api;
    PyObject *capsule;   /* keeps the table's owner alive */
    PyObject *exact;     /* tuple of types (ToNumpy) */
    PyObject *other;
    PyObject *fallback;
    int check_bits;      /* ToNumpy: ask is_neg()/is_conj() (torch's lazy sign/conj bits) */
    int n_dtypes;
    DtypeRow dtypes[MAX_DTYPES];
    vectorcallfunc vectorcall;
} Exchange;

static PyObject *str_is_neg, *str_is_conj;

/* -- shared construction ------------------------------------------------------------------ */

static const DLPackExchangeAPI *
api_from_capsule(PyObject *capsule, int need_import)
{
    const DLPackExchangeAPI *api = PyCapsule_GetPointer(capsule, "dlpack_exchange_api");
    if (api == NULL) {
        return NULL;
    }
    if (api->version.major != 1) {
        PyErr_Format(PyExc_ValueError, "DLPack exchange API version %u.%u: interop reads 1.x",
                     api->version.major, api->version.minor);
        return NULL;
    }
    if (need_import ? api->managed_tensor_to_py_object_no_sync == NULL
                    : api->dltensor_from_py_object_no_sync == NULL) {
        PyErr_SetString(PyExc_ValueError, "the DLPack exchange API lacks the function needed");
        return NULL;
    }
    return api;
}

static int
read_dtypes(Exchange *self, PyObject *rows, int descr_first)
{
    if (!PyTuple_Check(rows) || PyTuple_GET_SIZE(rows) > MAX_DTYPES) {
        PyErr_SetString(PyExc_TypeError, "dtypes: a tuple of at most 48 (code, bits, dtype) rows");
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(rows); i++) {
        PyObject *row = PyTuple_GET_ITEM(rows, i), *descr;
        int code, bits;
        int ok = descr_first ? PyArg_ParseTuple(row, "O!ii", &PyArrayDescr_Type, &descr, &code, &bits)
                             : PyArg_ParseTuple(row, "iiO!", &code, &bits, &PyArrayDescr_Type, &descr);
        if (!ok) {
            return -1;
        }
        Py_INCREF(descr);
        self->dtypes[i] = (DtypeRow){descr, (uint8_t)code, (uint8_t)bits};
        self->n_dtypes = (int)i + 1;
    }
    return 0;
}

static int
exchange_traverse(Exchange *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->capsule);
    Py_VISIT(self->exact);
    Py_VISIT(self->other);
    Py_VISIT(self->fallback);
    for (int i = 0; i < self->n_dtypes; i++) {
        Py_VISIT(self->dtypes[i].descr);
    }
    return 0;
}

static int
exchange_clear(Exchange *self)
{
    Py_CLEAR(self->capsule);
    Py_CLEAR(self->exact);
    Py_CLEAR(self->other);
    Py_CLEAR(self->fallback);
    for (int i = 0; i < self->n_dtypes; i++) {
        Py_CLEAR(self->dtypes[i].descr);
    }
    self->n_dtypes = 0;
    return 0;
}

static void
exchange_dealloc(Exchange *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    exchange_clear(self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyObject *
refuse(Exchange *self)
{
    PyErr_SetNone(self->fallback);
    return NULL;
}

/* The constructors' shared part; steals `exact` (a tuple of types). */
static PyObject *
exchange_new(PyTypeObject *type, PyObject *capsule, int need_import, PyObject *dtypes,
             PyObject *exact, PyObject *other, PyObject *fallback, int check_bits,
             vectorcallfunc call)
{
    const DLPackExchangeAPI *api = api_from_capsule(capsule, need_import);
    Exchange *self = api ? (Exchange *)type->tp_alloc(type, 0) : NULL;
    if (self == NULL) {
        Py_DECREF(exact);
        return NULL;
    }
    self->api = api;
    self->capsule = Py_NewRef(capsule);
    self->exact = exact;
    self->other = Py_NewRef(other);
    self->fallback = Py_NewRef(fallback);
    self->check_bits = check_bits;
    self->vectorcall = call;
    if (read_dtypes(self, dtypes, need_import)  /* FromNumpy rows start with the dtype */ < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

/* -- ToNumpy: a framework tensor -> an ndarray viewing it --------------------------------- */

static int
flag_is_set(PyObject *x, PyObject *method)
{
    PyObject *res = PyObject_VectorcallMethod(method, &x, 1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    if (res == NULL) {
        return -1;
    }
    int set = PyObject_IsTrue(res);
    Py_DECREF(res);
    return set;
}

static PyObject *
to_numpy_call(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Exchange *self = (Exchange *)op;
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "an exchange route takes one array");
        return NULL;
    }
    PyObject *x = args[0];
    int exact = 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(self->exact); i++) {
        exact |= (PyObject *)Py_TYPE(x) == PyTuple_GET_ITEM(self->exact, i);
    }
    if (!exact) {
        return PyObject_CallOneArg(self->other, x);
    }
    int neg = self->check_bits ? flag_is_set(x, str_is_neg) : 0;  /* memory holds -x */
    if (neg != 0) {
        return neg < 0 ? NULL : refuse(self);
    }
    DLTensor t;
    if (self->api->dltensor_from_py_object_no_sync(x, &t) != 0) {
        PyErr_Clear();  /* sparse, quantized...: the planner says why */
        return refuse(self);
    }
    if (t.device.device_type != KDL_CPU || t.dtype.lanes != 1 || t.ndim > NPY_MAXDIMS) {
        return refuse(self);
    }
    PyObject *descr = NULL;
    for (int i = 0; i < self->n_dtypes; i++) {
        if (self->dtypes[i].code == t.dtype.code && self->dtypes[i].bits == t.dtype.bits) {
            descr = self->dtypes[i].descr;
        }
    }
    if (descr == NULL) {
        return refuse(self);
    }
    if (t.dtype.code == KDL_COMPLEX && self->check_bits) {
        int conj = flag_is_set(x, str_is_conj);
        if (conj != 0) {
            return conj < 0 ? NULL : refuse(self);
        }
    }
    npy_intp shape[NPY_MAXDIMS], strides[NPY_MAXDIMS], size = 1;
    npy_intp itemsize = PyDataType_ELSIZE((PyArray_Descr *)descr);
    for (int d = t.ndim - 1; d >= 0; d--) {
        shape[d] = (npy_intp)t.shape[d];
        strides[d] = t.strides ? (npy_intp)t.strides[d] * itemsize : size * itemsize;
        size *= shape[d];
    }
    if (t.data == NULL && size != 0) {
        return refuse(self);  /* no memory behind it (torch's zero tensors) */
    }
    char *data = (char *)t.data + t.byte_offset;
    Py_INCREF(descr);  /* stolen below */
    PyObject *arr = PyArray_NewFromDescr(&PyArray_Type, (PyArray_Descr *)descr, t.ndim, shape,
                                         strides, size ? data : NULL, size ? NPY_ARRAY_WRITEABLE : 0,
                                         NULL);
    if (arr == NULL || size == 0) {
        return arr;
    }
    Py_INCREF(x);
    if (PyArray_SetBaseObject((PyArrayObject *)arr, x) < 0) {
        Py_DECREF(arr);
        return NULL;
    }
    return arr;
}

static PyObject *
to_numpy_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *capsule, *dtypes, *exact, *other, *fallback;
    int check_bits = 1;
    if (!PyArg_ParseTuple(args, "O!OO!OO|p:ToNumpy", &PyCapsule_Type, &capsule, &dtypes,
                          &PyTuple_Type, &exact, &other, &fallback, &check_bits)) {
        return NULL;
    }
    Py_INCREF(exact);
    return exchange_new(type, capsule, 0, dtypes, exact, other, fallback, check_bits,
                        to_numpy_call);
}

/* -- FromNumpy: an ndarray -> a framework tensor that keeps the array alive ---------------- */

typedef struct {
    DLManagedTensorVersioned managed;
    int64_t extents[2 * NPY_MAXDIMS];  /* shape, then strides (in elements) */
} Owned;

static void
owned_deleter(DLManagedTensorVersioned *managed)
{
    /* May run on any thread, with or without the GIL; not after finalisation began. */
    if (!Py_IsInitialized() || IS_FINALIZING()) {
        free(managed);
        return;
    }
    PyGILState_STATE state = PyGILState_Ensure();
    Py_XDECREF((PyObject *)managed->manager_ctx);
    PyGILState_Release(state);
    free(managed);
}

static PyObject *
from_numpy_call(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Exchange *self = (Exchange *)op;
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "an exchange route takes one array");
        return NULL;
    }
    PyObject *x = args[0];
    if (Py_TYPE(x) != &PyArray_Type) {
        return PyObject_CallOneArg(self->other, x);
    }
    PyArrayObject *a = (PyArrayObject *)x;
    int flags = PyArray_FLAGS(a);
    if (!(flags & NPY_ARRAY_WRITEABLE) || !(flags & NPY_ARRAY_ALIGNED)) {
        return refuse(self);  /* a writable alias of read-only memory; unaligned elements */
    }
    PyObject *descr = (PyObject *)PyArray_DESCR(a);
    int row = -1;
    for (int i = 0; i < self->n_dtypes; i++) {
        if (self->dtypes[i].descr == descr) {
            row = i;
        }
    }
    if (row < 0) {
        return refuse(self);  /* byte-swapped, or a dtype the framework lacks */
    }
    int ndim = PyArray_NDIM(a);
    npy_intp itemsize = PyArray_ITEMSIZE(a);
    Owned *owned = malloc(sizeof(Owned));
    if (owned == NULL) {
        return PyErr_NoMemory();
    }
    for (int d = 0; d < ndim; d++) {
        npy_intp stride = PyArray_STRIDES(a)[d];
        if (stride < 0 || stride % itemsize != 0) {
            free(owned);
            return refuse(self);  /* a layout the framework cannot express */
        }
        owned->extents[d] = PyArray_DIMS(a)[d];
        owned->extents[NPY_MAXDIMS + d] = stride / itemsize;
    }
    DLManagedTensorVersioned *m = &owned->managed;
    m->version = (DLPackVersion){1, 3};
    m->manager_ctx = Py_NewRef(x);
    m->deleter = owned_deleter;
    m->flags = 0;
    m->dl_tensor = (DLTensor){PyArray_DATA(a), {KDL_CPU, 0}, ndim,
                              {self->dtypes[row].code, self->dtypes[row].bits, 1},
                              owned->extents, owned->extents + NPY_MAXDIMS, 0};
    void *out = NULL;
    if (self->api->managed_tensor_to_py_object_no_sync(m, &out) != 0) {
        return NULL;  /* the table took ownership of m (DLPack: "stolen") */
    }
    return (PyObject *)out;
}

static PyObject *
from_numpy_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *capsule, *dtypes, *other, *fallback;
    if (!PyArg_ParseTuple(args, "O!OOO:FromNumpy", &PyCapsule_Type, &capsule, &dtypes, &other,
                          &fallback)) {
        return NULL;
    }
    PyObject *exact = PyTuple_New(0);
    if (exact == NULL) {
        return NULL;
    }
    return exchange_new(type, capsule, 1, dtypes, exact, other, fallback, 0, from_numpy_call);
}

/* -- types and module ---------------------------------------------------------------------- */

static PyMemberDef exchange_members[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(Exchange, vectorcall), READONLY},
    {"other", T_OBJECT, offsetof(Exchange, other), READONLY, "the call for values of other types"},
    {NULL},
};

#define EXCHANGE_SLOTS(NEW, DOC)                                                      \
    {                                                                                 \
        {Py_tp_new, NEW}, {Py_tp_dealloc, exchange_dealloc},                          \
        {Py_tp_traverse, exchange_traverse}, {Py_tp_clear, exchange_clear},           \
        {Py_tp_call, PyVectorcall_Call}, {Py_tp_members, exchange_members},           \
        {Py_tp_doc, DOC}, {0, NULL},                                                  \
    }

static PyType_Slot to_numpy_slots[] = EXCHANGE_SLOTS(
    to_numpy_new, "ToNumpy(api, dtypes, exact, other, fallback): a tensor as an ndarray view.");
static PyType_Slot from_numpy_slots[] = EXCHANGE_SLOTS(
    from_numpy_new, "FromNumpy(api, dtypes, other, fallback): an ndarray adopted as a tensor.");

#define EXCHANGE_FLAGS \
    (Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_IMMUTABLETYPE)

static PyType_Spec to_numpy_spec = {"interop._exchange.ToNumpy", sizeof(Exchange), 0,
                                    EXCHANGE_FLAGS, to_numpy_slots};
static PyType_Spec from_numpy_spec = {"interop._exchange.FromNumpy", sizeof(Exchange), 0,
                                      EXCHANGE_FLAGS, from_numpy_slots};

/* -- capsule_header(capsule, name, versioned) ---------------------------------------------
 * The raw fields of a DLPack capsule, read without consuming it, for _dlpack.read_capsule
 * (which validates them; the ctypes reader there returns the same tuple):
 *   (major, minor, flags, has_deleter, ndim, code, bits, lanes, device_type, device_id,
 *    shape or None, byte strides or None, data, byte_offset)
 * shape is None when ndim is outside 0..max_ndim or the shape array is NULL; every field
 * after minor is None for a versioned capsule whose major version is not 1 (another
 * layout). Byte strides are element strides times max(bits / 8, 1).
 */
static PyObject *
int64_tuple(const int64_t *values, int32_t n, int64_t scale)
{
    PyObject *out = PyTuple_New(n);
    for (int32_t i = 0; out != NULL && i < n; i++) {
        PyObject *v = PyLong_FromLongLong(values[i] * scale);
        if (v == NULL) {
            Py_CLEAR(out);
            break;
        }
        PyTuple_SET_ITEM(out, i, v);
    }
    return out;
}

static PyObject *
capsule_header(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError,
                        "capsule_header(capsule, name, versioned, max_ndim) takes 4 arguments");
        return NULL;
    }
    const char *name = PyUnicode_AsUTF8(args[1]);
    int versioned = PyObject_IsTrue(args[2]);
    long max_ndim = PyLong_AsLong(args[3]);
    if (name == NULL || versioned < 0 || (max_ndim == -1 && PyErr_Occurred())) {
        return NULL;
    }
    void *pointer = PyCapsule_GetPointer(args[0], name);
    if (pointer == NULL) {
        return NULL;
    }
    DLTensor *t;
    uint32_t major = 0, minor = 0;
    uint64_t flags = 0;
    int has_deleter;
    if (versioned) {
        DLManagedTensorVersioned *m = (DLManagedTensorVersioned *)pointer;
        major = m->version.major;
        minor = m->version.minor;
        if (major != 1) {
            return Py_BuildValue("(IIOOOOOOOOOOOO)", major, minor, Py_None, Py_None, Py_None,
                                 Py_None, Py_None, Py_None, Py_None, Py_None, Py_None,
                                 Py_None, Py_None, Py_None);
        }
        flags = m->flags;
        has_deleter = m->deleter != NULL;
        t = &m->dl_tensor;
    }
    else {
        typedef struct { DLTensor dl_tensor; void *ctx; void (*deleter)(void *); } Legacy;
        Legacy *m = (Legacy *)pointer;
        has_deleter = m->deleter != NULL;
        t = &m->dl_tensor;
    }
    int64_t itemsize = t->dtype.bits >= 8 ? t->dtype.bits / 8 : 1;
    int valid = t->ndim >= 0 && t->ndim <= max_ndim && (t->ndim == 0 || t->shape != NULL);
    PyObject *shape = valid ? int64_tuple(t->shape, t->ndim, 1) : Py_NewRef(Py_None);
    PyObject *strides = valid && t->strides != NULL ? int64_tuple(t->strides, t->ndim, itemsize)
                                                    : Py_NewRef(Py_None);
    if (shape == NULL || strides == NULL) {
        Py_XDECREF(shape);
        Py_XDECREF(strides);
        return NULL;
    }
    return Py_BuildValue("(IIKOiiiiiiNNKK)", major, minor, (unsigned long long)flags,
                         has_deleter ? Py_True : Py_False, (int)t->ndim, (int)t->dtype.code,
                         (int)t->dtype.bits, (int)t->dtype.lanes, (int)t->device.device_type,
                         (int)t->device.device_id, shape, strides,
                         (unsigned long long)(uintptr_t)t->data,
                         (unsigned long long)t->byte_offset);
}

/* -- export_versioned(api, tensor) ---------------------------------------------------------
 * A "dltensor_versioned" capsule of a framework tensor, made by the type's exchange table
 * (managed_tensor_from_py_object_no_sync): what its Python __dlpack__(max_version=(1, x))
 * makes for a host tensor, without the Python frames. Callers pass only tensors whose
 * memory holds their values (no lazy bits: the table exports memory as it is). The
 * capsule frees the tensor when dropped unconsumed, as DLPack asks of producers.
 */
static void
versioned_capsule_destructor(PyObject *capsule)
{
    if (PyCapsule_IsValid(capsule, "dltensor_versioned")) {  /* never consumed */
        DLManagedTensorVersioned *m = PyCapsule_GetPointer(capsule, "dltensor_versioned");
        if (m != NULL && m->deleter != NULL) {
            m->deleter(m);
        }
    }
    else {
        PyErr_Clear();  /* IsValid sets nothing, but a consumed capsule may carry no error */
    }
}

static PyObject *
export_versioned(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "export_versioned(api, tensor) takes 2 arguments");
        return NULL;
    }
    const DLPackExchangeAPI *api = PyCapsule_GetPointer(args[0], "dlpack_exchange_api");
    if (api == NULL) {
        return NULL;
    }
    if (api->version.major != 1 || api->managed_tensor_from_py_object_no_sync == NULL) {
        PyErr_SetString(PyExc_ValueError, "this DLPack exchange API cannot export tensors");
        return NULL;
    }
    DLManagedTensorVersioned *managed = NULL;
    if (api->managed_tensor_from_py_object_no_sync(args[1], &managed) != 0 || managed == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_RuntimeError, "the DLPack exchange API failed to export");
        }
        return NULL;
    }
    PyObject *capsule = PyCapsule_New(managed, "dltensor_versioned",
                                      versioned_capsule_destructor);
    if (capsule == NULL && managed->deleter != NULL) {
        managed->deleter(managed);
    }
    return capsule;
}

/* capsule_name(capsule): its name, "" for none (PyCapsule_GetName, without ctypes). */
static PyObject *
capsule_name(PyObject *module, PyObject *capsule)
{
    if (!PyCapsule_CheckExact(capsule)) {
        PyErr_Format(PyExc_TypeError, "capsule_name() takes a PyCapsule, not %.100s",
                     Py_TYPE(capsule)->tp_name);
        return NULL;
    }
    const char *name = PyCapsule_GetName(capsule);
    if (name == NULL && PyErr_Occurred()) {
        return NULL;
    }
    return PyUnicode_FromString(name == NULL ? "" : name);
}

static PyMethodDef exchange_functions[] = {
    {"export_versioned", (PyCFunction)(void (*)(void))export_versioned, METH_FASTCALL,
     "A dltensor_versioned capsule of a tensor, through its type's exchange table."},
    {"capsule_name", capsule_name, METH_O, "A capsule's name, \"\" for none."},
    {"capsule_header", (PyCFunction)(void (*)(void))capsule_header, METH_FASTCALL,
     "The raw fields of a DLPack capsule, read without consuming it (see _exchange.c)."},
    {NULL, NULL, 0, NULL},
};

static int
exchange_exec(PyObject *module)
{
    import_array1(-1);
    str_is_neg = PyUnicode_InternFromString("is_neg");
    str_is_conj = PyUnicode_InternFromString("is_conj");
    if (str_is_neg == NULL || str_is_conj == NULL) {
        return -1;
    }
    PyType_Spec *specs[] = {&to_numpy_spec, &from_numpy_spec};
    for (int i = 0; i < 2; i++) {
        PyObject *tp = PyType_FromModuleAndSpec(module, specs[i], NULL);
        if (tp == NULL || PyModule_AddType(module, (PyTypeObject *)tp) < 0) {
            Py_XDECREF(tp);
            return -1;
        }
        Py_DECREF(tp);
    }
    return 0;
}

static PyModuleDef_Slot exchange_module_slots[] = {
    {Py_mod_exec, exchange_exec},
    {0, NULL},
};

static struct PyModuleDef exchange_module = {
    PyModuleDef_HEAD_INIT, "interop._exchange",
    "Remembered routes through the DLPack C exchange API (see _exchange.c).", 0,
    exchange_functions, exchange_module_slots,
};

PyMODINIT_FUNC
PyInit__exchange(void)
{
    return PyModuleDef_Init(&exchange_module);
}
