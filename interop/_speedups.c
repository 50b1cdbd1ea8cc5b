/* The fast path of interop.to / interop.to_numpy, in C.
 *
 * A Dispatcher looks up (target, type(x)) in the shared FAST_ROUTES table and
 * calls the native route it finds (or returns x for "no conversion"), costing
 * two dict lookups instead of a Python frame.  Anything else -- no route yet,
 * a keyword argument, or a route that raises an Exception -- goes to the
 * planned Python path, which decides and raises proper interop errors.
 *
 * WritableGuard wraps a native call that must not receive read-only NumPy
 * memory (torch.from_numpy would hand out a writable alias): it reads the
 * array's flags directly and raises so that the planner makes a copy.
 */
#define PY_SSIZE_T_CLEAN
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <Python.h>
#include <stddef.h>
#include <numpy/ndarraytypes.h>

typedef struct {
    PyObject_HEAD
    PyObject *routes;  /* dict: target -> dict: type -> route or None */
    PyObject *copies;  /* the same, for copy=True: routes that always return a new buffer */
    PyObject *slow;    /* slow(x, target, device, copy, stream) */
    PyObject *target;  /* fixed target (to_numpy) or NULL */
    PyObject *dict;
    vectorcallfunc vectorcall;
} Dispatcher;

static PyObject *fallback_error;

static PyObject *
try_route(PyObject *table, PyObject *x, PyObject *target)
{
    PyObject *inner = PyDict_GetItemWithError(table, target);
    if (inner == NULL || !PyDict_CheckExact(inner)) {
        PyErr_Clear();  /* unknown or unhashable target: plan it */
        return NULL;
    }
    PyObject *route = PyDict_GetItemWithError(inner, (PyObject *)Py_TYPE(x));
    if (route == NULL) {
        PyErr_Clear();
        return NULL;
    }
    if (route == Py_None) {
        return Py_NewRef(x);
    }
    Py_INCREF(route);  /* the table may change while the route runs */
    PyObject *result = PyObject_CallOneArg(route, x);
    Py_DECREF(route);
    if (result == NULL && PyErr_ExceptionMatches(PyExc_Exception)) {
        PyErr_Clear();  /* a case the route leaves to the planner */
    }
    return result;
}

static PyObject *
dispatcher_vectorcall(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Dispatcher *self = (Dispatcher *)op;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    Py_ssize_t want = self->target == NULL ? 2 : 1;
    PyObject *device = Py_None, *copy = Py_None, *stream = Py_None;
    int plain;  /* device and stream are None */
    if (nargs != want) {
        goto slow_call;
    }
    if (kwnames != NULL) {
        Py_ssize_t nkw = PyTuple_GET_SIZE(kwnames);
        for (Py_ssize_t i = 0; i < nkw; i++) {
            PyObject *name = PyTuple_GET_ITEM(kwnames, i);
            PyObject *value = args[nargs + i];
            if (self->target == NULL &&
                PyUnicode_CompareWithASCIIString(name, "device") == 0) {
                device = value;
            } else if (PyUnicode_CompareWithASCIIString(name, "copy") == 0) {
                copy = value;
            } else if (PyUnicode_CompareWithASCIIString(name, "stream") == 0) {
                stream = value;
            } else {
                goto slow_call;  /* let Python raise the TypeError */
            }
        }
    }
    plain = device == Py_None && stream == Py_None;
    PyObject *target = self->target == NULL ? args[1] : self->target;
    if (plain && (copy == Py_None || copy == Py_True)) {
        PyObject *table = copy == Py_None ? self->routes : self->copies;
        PyObject *result = try_route(table, args[0], target);
        if (result != NULL || PyErr_Occurred()) {
            return result;
        }
    }
    if (self->target == NULL) {
        PyObject *call[5] = {args[0], target, device, copy, stream};
        return PyObject_Vectorcall(self->slow, call, 5, NULL);
    }
    PyObject *call[5] = {args[0], target, Py_None, copy, stream};
    return PyObject_Vectorcall(self->slow, call, 5, NULL);

slow_call:;
    /* wrong arity or unknown keyword: the Python definition raises the right error */
    PyObject *python = self->dict ? PyDict_GetItemString(self->dict, "__wrapped__") : NULL;
    if (python == NULL) {
        PyErr_SetString(PyExc_TypeError, "bad arguments");
        return NULL;
    }
    return PyObject_Vectorcall(python, args, nargsf, kwnames);
}

static PyObject *
dispatcher_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *routes, *copies, *slow, *target = Py_None;
    static char *kwlist[] = {"routes", "copies", "slow", "target", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!O!O|O", kwlist, &PyDict_Type, &routes,
                                     &PyDict_Type, &copies, &slow, &target)) {
        return NULL;
    }
    Dispatcher *self = (Dispatcher *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->routes = Py_NewRef(routes);
    self->copies = Py_NewRef(copies);
    self->slow = Py_NewRef(slow);
    self->target = target == Py_None ? NULL : Py_NewRef(target);
    self->vectorcall = dispatcher_vectorcall;
    return (PyObject *)self;
}

static int
dispatcher_traverse(Dispatcher *self, visitproc visit, void *arg)
{
    Py_VISIT(self->routes);
    Py_VISIT(self->copies);
    Py_VISIT(self->slow);
    Py_VISIT(self->target);
    Py_VISIT(self->dict);
    return 0;
}

static int
dispatcher_clear(Dispatcher *self)
{
    Py_CLEAR(self->routes);
    Py_CLEAR(self->copies);
    Py_CLEAR(self->slow);
    Py_CLEAR(self->target);
    Py_CLEAR(self->dict);
    return 0;
}

static void
dispatcher_dealloc(Dispatcher *self)
{
    PyObject_GC_UnTrack(self);
    dispatcher_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
dispatcher_get(PyObject *self, PyObject *obj, PyObject *type)
{
    return Py_NewRef(self);  /* behave like a builtin function, never a bound method */
}

static PyObject *
dispatcher_repr(Dispatcher *self)
{
    PyObject *name = self->dict ? PyDict_GetItemString(self->dict, "__qualname__") : NULL;
    if (name == NULL) {
        return PyUnicode_FromString("<interop dispatcher>");
    }
    return PyUnicode_FromFormat("<function interop.%U>", name);
}

static PyGetSetDef dispatcher_getset[] = {
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL},
    {NULL},
};

static PyTypeObject DispatcherType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "interop._speedups.Dispatcher",
    .tp_basicsize = sizeof(Dispatcher),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = dispatcher_new,
    .tp_traverse = (traverseproc)dispatcher_traverse,
    .tp_clear = (inquiry)dispatcher_clear,
    .tp_dealloc = (destructor)dispatcher_dealloc,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(Dispatcher, vectorcall),
    .tp_dictoffset = offsetof(Dispatcher, dict),
    .tp_descr_get = dispatcher_get,
    .tp_getset = dispatcher_getset,
    .tp_repr = (reprfunc)dispatcher_repr,
    .tp_doc = "A C fast path in front of a Python conversion function.",
};

typedef struct {
    PyObject_HEAD
    PyObject *func;
    vectorcallfunc vectorcall;
} WritableGuard;

static PyObject *
guard_vectorcall(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    WritableGuard *self = (WritableGuard *)op;
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "a WritableGuard takes one array");
        return NULL;
    }
    /* only ever installed for exact numpy.ndarray, so the struct cast is safe */
    if (!(PyArray_FLAGS((PyArrayObject *)args[0]) & NPY_ARRAY_WRITEABLE)) {
        PyErr_SetNone(fallback_error);
        return NULL;
    }
    return PyObject_CallOneArg(self->func, args[0]);
}

static PyObject *
guard_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *func;
    if (!PyArg_ParseTuple(args, "O", &func)) {
        return NULL;
    }
    WritableGuard *self = (WritableGuard *)type->tp_alloc(type, 0);
    if (self != NULL) {
        self->func = Py_NewRef(func);
        self->vectorcall = guard_vectorcall;
    }
    return (PyObject *)self;
}

static void
guard_dealloc(WritableGuard *self)
{
    Py_CLEAR(self->func);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject WritableGuardType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "interop._speedups.WritableGuard",
    .tp_basicsize = sizeof(WritableGuard),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = guard_new,
    .tp_dealloc = (destructor)guard_dealloc,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(WritableGuard, vectorcall),
    .tp_doc = "Call func(array) only when the NumPy array is writable.",
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "interop._speedups",
    "C fast paths for interop.to; interop works without them (pure-Python fallback).",
    -1, NULL,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    if (PyType_Ready(&DispatcherType) < 0 || PyType_Ready(&WritableGuardType) < 0) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    fallback_error = PyErr_NewException("interop._speedups.Fallback", PyExc_Exception, NULL);
    if (fallback_error == NULL ||
        PyModule_AddObjectRef(m, "Fallback", fallback_error) < 0 ||
        PyModule_AddObjectRef(m, "Dispatcher", (PyObject *)&DispatcherType) < 0 ||
        PyModule_AddObjectRef(m, "WritableGuard", (PyObject *)&WritableGuardType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
