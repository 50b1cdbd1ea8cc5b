/* The remembered-route lookup of interop.to, in C (optional: _remember.py and
 * _convert.to are the same logic in Python; INTEROP_NO_SPEEDUPS=1 selects them).
 *
 * Dispatcher(routes, device_routes, slow, fallback) is interop.to:
 *
 *     entry = (routes[copy][target] if device is None
 *              else device_routes[copy][device][target])[type(x)]
 *
 * and then, by the entry's type:
 *     None         -> x itself (same framework: no conversion)
 *     NativeRoute  -> entry.func(x); any Exception means "plan this value"
 *     KeyedRoute   -> entry.runs[entry.key(x)](x); an unseen key, or an exception
 *                     from key(), means "plan this value"; `fallback` raised by the
 *                     run means the same
 * "Plan this value", a missing entry, a stream or an odd copy value all call
 * slow(x, target, device, copy, stream): the planner, which decides and may
 * remember a new entry.  Every object read from a table is held by a strong
 * reference while Python code can run (a key's __eq__, a route), since that
 * code may change the tables.
 *
 * The last lookup is kept (copy, device, target and type by identity, and the entry
 * found), tagged with the tables' version: tables_changed(), which _remember calls
 * after every change to the tables (remember, clear), bumps it, so a kept lookup is
 * never used once the tables it was read from have changed.  The version is read
 * before the lookup it tags, so a change made while the lookup runs makes the tag
 * stale.  Most calls repeat the last (target, type): they cost no dict lookup.
 *
 * Dispatcher.run_items(items, table, skip, walk, note, found) is to_each's loop over a
 * list or tuple: each item whose type has an entry in `table` (and is not of type
 * `skip`) runs it as above; the other items, and those the entry hands back, go to
 * walk(item).  note(exc, index) is told where an Exception came from; found(item) is
 * called for the first item that had an entry (None: not wanted).
 *
 * WritableGuard(func, fallback, ndarray) calls func(array) only for writable NumPy arrays
 * in native byte order with non-negative strides, and raises `fallback`
 * otherwise (torch.from_numpy would alias read-only memory, or throw for the others).
 *
 * Multi-phase initialisation; heap types; per-module state holds the types.
 */
#define PY_SSIZE_T_CLEAN
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <Python.h>
#include <structmember.h>
#include <stddef.h>
#include <numpy/ndarraytypes.h>

typedef struct {
    PyTypeObject *dispatcher_type;
    PyTypeObject *native_type;
    PyTypeObject *keyed_type;
    PyTypeObject *guard_type;
    PyTypeObject *numpy_key_type;
    PyTypeObject *dtype_guard_type;
    unsigned long long version;  /* bumped by tables_changed(): kept lookups are stale */
} module_state;

static module_state *
state_of_type(PyTypeObject *tp)
{
    return (module_state *)PyType_GetModuleState(tp);
}

/* -- NativeRoute / KeyedRoute: plain holders the dispatcher reads ------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *func;
    PyObject *fallback;  /* raised when called from Python and func refuses */
    PyObject *keyed;     /* None, or a KeyedRoute for the values func refuses */
} NativeRoute;

typedef struct {
    PyObject_HEAD
    PyObject *key;   /* key(x) -> hashable */
    PyObject *runs;  /* dict: key -> run */
    PyObject *fallback;
} KeyedRoute;

static PyObject *
native_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *func, *fallback;
    if (!PyArg_ParseTuple(args, "OO:NativeRoute", &func, &fallback)) {
        return NULL;
    }
    NativeRoute *self = (NativeRoute *)type->tp_alloc(type, 0);
    if (self != NULL) {
        self->func = Py_NewRef(func);
        self->fallback = Py_NewRef(fallback);
        self->keyed = Py_NewRef(Py_None);
    }
    return (PyObject *)self;
}

static PyObject *
native_call(NativeRoute *self, PyObject *args, PyObject *kwargs)
{
    PyObject *result = PyObject_Call(self->func, args, kwargs);
    if (result == NULL && PyErr_ExceptionMatches(PyExc_Exception)) {
        PyErr_Clear();
        if (self->keyed != NULL && self->keyed != Py_None) {
            PyObject *keyed = Py_NewRef(self->keyed);
            result = PyObject_Call(keyed, args, kwargs);
            Py_DECREF(keyed);
            return result;
        }
        PyErr_SetNone(self->fallback);
    }
    return result;
}

static int
native_traverse(NativeRoute *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->func);
    Py_VISIT(self->fallback);
    Py_VISIT(self->keyed);
    return 0;
}

static int
native_clear(NativeRoute *self)
{
    Py_CLEAR(self->func);
    Py_CLEAR(self->fallback);
    Py_CLEAR(self->keyed);
    return 0;
}

static void
native_dealloc(NativeRoute *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    native_clear(self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyMemberDef native_members[] = {
    {"func", T_OBJECT_EX, offsetof(NativeRoute, func), READONLY, "the native call"},
    {"keyed", T_OBJECT, offsetof(NativeRoute, keyed), 0, "routes for the values func refuses"},
    {NULL},
};

static PyType_Slot native_slots[] = {
    {Py_tp_new, native_new},
    {Py_tp_call, native_call},
    {Py_tp_traverse, native_traverse},
    {Py_tp_clear, native_clear},
    {Py_tp_dealloc, native_dealloc},
    {Py_tp_members, native_members},
    {Py_tp_doc, "NativeRoute(func, fallback): a remembered native call; its exceptions mean 'plan it'."},
    {0, NULL},
};

static PyType_Spec native_spec = {
    "interop._speedups.NativeRoute", sizeof(NativeRoute), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE, native_slots,
};

static PyObject *
keyed_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *key, *runs, *fallback;
    if (!PyArg_ParseTuple(args, "OO!O:KeyedRoute", &key, &PyDict_Type, &runs, &fallback)) {
        return NULL;
    }
    KeyedRoute *self = (KeyedRoute *)type->tp_alloc(type, 0);
    if (self != NULL) {
        self->key = Py_NewRef(key);
        self->runs = Py_NewRef(runs);
        self->fallback = Py_NewRef(fallback);
    }
    return (PyObject *)self;
}

/* The Python-visible call: runs[key(x)](x), or `fallback` when the key is new or fails. */
static PyObject *
keyed_call(KeyedRoute *self, PyObject *args, PyObject *kwargs)
{
    PyObject *x;
    if (!PyArg_ParseTuple(args, "O:KeyedRoute", &x)) {
        return NULL;
    }
    PyObject *key = PyObject_CallOneArg(self->key, x);
    if (key == NULL) {
        if (PyErr_ExceptionMatches(PyExc_Exception)) {
            PyErr_Clear();
            PyErr_SetNone(self->fallback);
        }
        return NULL;
    }
    PyObject *runs = Py_NewRef(self->runs);
    PyObject *run = PyDict_GetItemWithError(runs, key);
    Py_XINCREF(run);
    Py_DECREF(runs);
    Py_DECREF(key);
    if (run == NULL) {
        if (!PyErr_Occurred() || PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            PyErr_SetNone(self->fallback);
        }
        return NULL;
    }
    PyObject *result = PyObject_CallOneArg(run, x);
    Py_DECREF(run);
    return result;
}

static int
keyed_traverse(KeyedRoute *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->key);
    Py_VISIT(self->runs);
    Py_VISIT(self->fallback);
    return 0;
}

static int
keyed_clear(KeyedRoute *self)
{
    Py_CLEAR(self->key);
    Py_CLEAR(self->runs);
    Py_CLEAR(self->fallback);
    return 0;
}

static void
keyed_dealloc(KeyedRoute *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    keyed_clear(self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyMemberDef keyed_members[] = {
    {"key", T_OBJECT_EX, offsetof(KeyedRoute, key), READONLY, "route_key(x)"},
    {"runs", T_OBJECT_EX, offsetof(KeyedRoute, runs), READONLY, "key -> run"},
    {NULL},
};

static PyType_Slot keyed_slots[] = {
    {Py_tp_new, keyed_new},
    {Py_tp_call, keyed_call},
    {Py_tp_traverse, keyed_traverse},
    {Py_tp_clear, keyed_clear},
    {Py_tp_dealloc, keyed_dealloc},
    {Py_tp_members, keyed_members},
    {Py_tp_doc, "KeyedRoute(key, runs, fallback): runs[key(x)](x), or 'plan it' for an unseen key."},
    {0, NULL},
};

static PyType_Spec keyed_spec = {
    "interop._speedups.KeyedRoute", sizeof(KeyedRoute), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE, keyed_slots,
};

/* -- Dispatcher ----------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *routes;         /* dict: copy -> dict: target -> dict: type -> entry */
    PyObject *device_routes;  /* dict: copy -> dict: device -> dict: target -> dict: type -> entry */
    PyObject *slow;           /* slow(x, target, device, copy, stream) */
    PyObject *fallback;       /* the exception class a run raises to ask for planning */
    PyObject *dict;
    vectorcallfunc vectorcall;
    /* the last lookup: its key by identity (strong references, so no address is reused
     * while kept; copy is None, True or False), the entry found, the tables' version */
    PyObject *last_copy;
    PyObject *last_device;
    PyObject *last_target;
    PyObject *last_type;
    PyObject *last_entry;  /* NULL: nothing kept */
    unsigned long long last_version;
    module_state *state;  /* its module's (the type keeps the module alive) */
} Dispatcher;

/* A new reference to table[key], or NULL without an exception set when absent. */
static PyObject *
lookup(PyObject *table, PyObject *key)
{
    if (table == NULL || !PyDict_Check(table)) {
        return NULL;
    }
    PyObject *value = PyDict_GetItemWithError(table, key);
    if (value == NULL) {
        PyErr_Clear();  /* absent, or an unhashable key: plan it */
        return NULL;
    }
    return Py_NewRef(value);
}

/* The remembered entry for (x, target, device, copy): a new reference, or NULL. */
static PyObject *
find_entry(Dispatcher *self, PyObject *x, PyObject *target, PyObject *device, PyObject *copy)
{
    PyObject *by_copy = lookup(device == Py_None ? self->routes : self->device_routes, copy);
    if (by_copy == NULL) {
        return NULL;
    }
    PyObject *inner;
    if (device == Py_None) {
        inner = lookup(by_copy, target);
    } else {
        PyObject *by_device = lookup(by_copy, device);
        inner = by_device == NULL ? NULL : lookup(by_device, target);
        Py_XDECREF(by_device);
    }
    Py_DECREF(by_copy);
    if (inner == NULL) {
        return NULL;
    }
    PyObject *entry = lookup(inner, (PyObject *)Py_TYPE(x));
    Py_DECREF(inner);
    return entry;
}

/* Keep (copy, device, target, tp) -> entry as the last lookup, read at `version`.  The
 * new references are stored before the old ones are released (a release may run code
 * that calls the dispatcher, which then sees a whole, consistent record). */
static void
keep_lookup(Dispatcher *self, unsigned long long version, PyObject *copy, PyObject *device,
            PyObject *target, PyObject *tp, PyObject *entry)
{
    PyObject *old_device = self->last_device, *old_target = self->last_target;
    PyObject *old_type = self->last_type, *old_entry = self->last_entry;
    self->last_copy = copy;
    self->last_device = Py_NewRef(device);
    self->last_target = Py_NewRef(target);
    self->last_type = Py_NewRef(tp);
    self->last_entry = Py_NewRef(entry);
    self->last_version = version;
    Py_XDECREF(old_device);
    Py_XDECREF(old_target);
    Py_XDECREF(old_type);
    Py_XDECREF(old_entry);
}

/* find_entry, answered from the last lookup when its key and the tables' version match. */
static PyObject *
find_entry_kept(Dispatcher *self, PyObject *x, PyObject *target, PyObject *device,
                PyObject *copy)
{
    unsigned long long version = self->state->version;
    PyObject *tp = (PyObject *)Py_TYPE(x);
    if (self->last_entry != NULL && self->last_version == version && self->last_type == tp &&
            self->last_target == target && self->last_device == device &&
            self->last_copy == copy) {
        return Py_NewRef(self->last_entry);
    }
    PyObject *entry = find_entry(self, x, target, device, copy);
    if (entry != NULL) {
        keep_lookup(self, version, copy, device, target, tp, entry);
    }
    return entry;
}

/* runs[key(x)](x) of one KeyedRoute: a new reference, or NULL with or without an error. */
static PyObject *
run_keyed(Dispatcher *self, KeyedRoute *keyed, PyObject *x)
{
    PyObject *key = PyObject_CallOneArg(keyed->key, x);
    if (key == NULL) {
        if (PyErr_ExceptionMatches(PyExc_Exception)) {
            PyErr_Clear();  /* a value the key cannot describe: plan it */
        }
        return NULL;
    }
    PyObject *runs = Py_NewRef(keyed->runs);
    PyObject *run = lookup(runs, key);
    Py_DECREF(runs);
    Py_DECREF(key);
    if (run == NULL) {
        return NULL;
    }
    PyObject *result = PyObject_CallOneArg(run, x);
    Py_DECREF(run);
    if (result == NULL && PyErr_ExceptionMatches(self->fallback)) {
        PyErr_Clear();
    }
    return result;
}

/* Run one entry.  Returns a new reference, or NULL: with an exception set (a real error),
 * or without one (plan this value). */
static PyObject *
run_entry(Dispatcher *self, PyObject *entry, PyObject *x)
{
    if (entry == Py_None) {
        return Py_NewRef(x);
    }
    module_state *st = self->state;
    if (Py_IS_TYPE(entry, st->native_type)) {
        NativeRoute *native = (NativeRoute *)entry;
        PyObject *result = PyObject_CallOneArg(native->func, x);
        if (result != NULL || !PyErr_ExceptionMatches(PyExc_Exception)) {
            return result;
        }
        PyErr_Clear();  /* the native call refuses this value: its keyed routes may know it */
        if (native->keyed == NULL || !Py_IS_TYPE(native->keyed, st->keyed_type)) {
            return NULL;
        }
        PyObject *keyed = Py_NewRef(native->keyed);
        result = run_keyed(self, (KeyedRoute *)keyed, x);
        Py_DECREF(keyed);
        return result;
    }
    if (Py_IS_TYPE(entry, st->keyed_type)) {
        return run_keyed(self, (KeyedRoute *)entry, x);
    }
    PyObject *result = PyObject_CallOneArg(entry, x);
    if (result == NULL && PyErr_ExceptionMatches(self->fallback)) {
        PyErr_Clear();
    }
    return result;
}

static PyObject *
call_wrapped(Dispatcher *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    /* wrong arity or an unknown keyword: the Python definition raises the right error */
    PyObject *python = self->dict ? PyDict_GetItemString(self->dict, "__wrapped__") : NULL;
    if (python == NULL) {
        PyErr_SetString(PyExc_TypeError, "interop.to(x, target, *, device, copy, stream)");
        return NULL;
    }
    Py_INCREF(python);
    PyObject *result = PyObject_Vectorcall(python, args, nargsf, kwnames);
    Py_DECREF(python);
    return result;
}

#if defined(__GNUC__) || defined(__clang__)
#define NOINLINE __attribute__((noinline))
#elif defined(_MSC_VER)
#define NOINLINE __declspec(noinline)
#else
#define NOINLINE
#endif

/* Every call but the one dispatcher_vectorcall answers itself. */
static NOINLINE PyObject *
dispatch(Dispatcher *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    PyObject *device = Py_None, *copy = Py_None, *stream = Py_None;
    if (nargs != 2) {
        return call_wrapped(self, args, nargsf, kwnames);
    }
    if (kwnames != NULL) {
        Py_ssize_t nkw = PyTuple_GET_SIZE(kwnames);
        for (Py_ssize_t i = 0; i < nkw; i++) {
            PyObject *name = PyTuple_GET_ITEM(kwnames, i);
            PyObject *value = args[nargs + i];
            if (PyUnicode_CompareWithASCIIString(name, "device") == 0) {
                device = value;
            } else if (PyUnicode_CompareWithASCIIString(name, "copy") == 0) {
                copy = value;
            } else if (PyUnicode_CompareWithASCIIString(name, "stream") == 0) {
                stream = value;
            } else {
                return call_wrapped(self, args, nargsf, kwnames);
            }
        }
    }
    PyObject *x = args[0], *target = args[1];
    if (stream == Py_None && (copy == Py_None || copy == Py_True || copy == Py_False)) {
        PyObject *entry = find_entry_kept(self, x, target, device, copy);
        if (entry != NULL) {
            PyObject *result = run_entry(self, entry, x);
            Py_DECREF(entry);
            if (result != NULL || PyErr_Occurred()) {
                return result;
            }
        }
    }
    PyObject *call[5] = {x, target, device, copy, stream};
    return PyObject_Vectorcall(self->slow, call, 5, NULL);
}

/* interop.to.  to(x, target) repeating the last lookup, which found a same-framework
 * (None) entry, is answered here: x itself, with no frame set up for the general path. */
static PyObject *
dispatcher_vectorcall(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Dispatcher *self = (Dispatcher *)op;
    if (kwnames == NULL && PyVectorcall_NARGS(nargsf) == 2 && self->last_entry == Py_None &&
            self->last_type == (PyObject *)Py_TYPE(args[0]) && self->last_target == args[1] &&
            self->last_device == Py_None && self->last_copy == Py_None &&
            self->last_version == self->state->version) {
        return Py_NewRef(args[0]);
    }
    return dispatch(self, args, nargsf, kwnames);
}

/* Tell note(exc, index) where the Exception now set came from, and keep it set.  An error
 * raised by note itself replaces it, as in the Python loop. */
static void
note_index(PyObject *note, Py_ssize_t index)
{
    if (!PyErr_ExceptionMatches(PyExc_Exception)) {
        return;  /* KeyboardInterrupt and the like leave without a path */
    }
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *exc = PyErr_GetRaisedException();
#else
    PyObject *type, *exc, *tb;
    PyErr_Fetch(&type, &exc, &tb);
    PyErr_NormalizeException(&type, &exc, &tb);
    if (tb != NULL) {
        PyException_SetTraceback(exc, tb);
    }
    Py_XDECREF(type);
    Py_XDECREF(tb);
#endif
    PyObject *where = PyLong_FromSsize_t(index);
    PyObject *done = where == NULL ? NULL : PyObject_CallFunctionObjArgs(note, exc, where, NULL);
    Py_XDECREF(where);
    if (done == NULL) {
        Py_DECREF(exc);
        return;
    }
    Py_DECREF(done);
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(exc);
#else
    PyErr_Restore(Py_NewRef((PyObject *)Py_TYPE(exc)), exc,
                  PyException_GetTraceback(exc));
#endif
}

/* One item of run_items: its entry's result, or walk(item).  `entry` is borrowed. */
static PyObject *
run_item(Dispatcher *self, PyObject *entry, PyObject *item, PyObject *walk)
{
    if (entry != NULL) {
        PyObject *result = run_entry(self, entry, item);
        if (result != NULL || PyErr_Occurred()) {
            return result;
        }
    }
    return PyObject_CallOneArg(walk, item);
}

/* The entry of table[type(item)] while the tables' version stays the same: a new reference,
 * or NULL (no entry, or one of type `skip`).  last_type and last_entry keep the last answer. */
static PyObject *
item_entry(Dispatcher *self, PyObject *table, PyObject *skip, PyObject *item,
           unsigned long long *version, PyObject **last_type, PyObject **last_entry)
{
    module_state *st = self->state;
    PyObject *tp = (PyObject *)Py_TYPE(item);
    if (*last_type == tp && *version == st->version) {
        return Py_XNewRef(*last_entry);
    }
    *version = st->version;  /* read before the lookup: a change during it makes it stale */
    PyObject *entry = lookup(table, tp);
    if (entry != NULL && (PyObject *)Py_TYPE(entry) == skip) {
        Py_CLEAR(entry);
    }
    Py_XSETREF(*last_type, Py_NewRef(tp));
    Py_XSETREF(*last_entry, Py_XNewRef(entry));
    return entry;
}

/* run_items(items, table, skip, walk, note, found) -> list: see the comment at the top. */
static PyObject *
dispatcher_run_items(Dispatcher *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6 || !PyDict_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError,
                        "run_items(items, table: dict, skip, walk, note, found)");
        return NULL;
    }
    PyObject *table = args[1], *skip = args[2], *walk = args[3], *note = args[4];
    PyObject *found = args[5] == Py_None ? NULL : args[5];
    PyObject *iter = PyObject_GetIter(args[0]);
    if (iter == NULL) {
        return NULL;
    }
    PyObject *out = PyList_New(0), *item, *last_type = NULL, *last_entry = NULL;
    unsigned long long version = 0;
    Py_ssize_t index = 0;
    Py_INCREF(table);
    while (out != NULL && (item = PyIter_Next(iter)) != NULL) {
        PyObject *entry = item_entry(self, table, skip, item, &version, &last_type,
                                     &last_entry);
        PyObject *result = NULL;
        if (entry != NULL && found != NULL) {  /* the first item met that is an array */
            PyObject *told = PyObject_CallOneArg(found, item);
            found = NULL;
            if (told == NULL) {
                goto failed;
            }
            Py_DECREF(told);
        }
        result = run_item(self, entry, item, walk);
    failed:
        Py_XDECREF(entry);
        Py_DECREF(item);
        if (result == NULL || PyList_Append(out, result) < 0) {
            note_index(note, index);
            Py_CLEAR(out);
        }
        Py_XDECREF(result);
        index++;
    }
    if (out != NULL && PyErr_Occurred()) {
        Py_CLEAR(out);  /* the iterator failed */
    }
    Py_DECREF(table);
    Py_XDECREF(last_type);
    Py_XDECREF(last_entry);
    Py_DECREF(iter);
    return out;
}

static PyObject *
dispatcher_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *routes, *device_routes, *slow, *fallback;
    static char *kwlist[] = {"routes", "device_routes", "slow", "fallback", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!O!OO:Dispatcher", kwlist,
                                     &PyDict_Type, &routes, &PyDict_Type, &device_routes,
                                     &slow, &fallback)) {
        return NULL;
    }
    if (!PyExceptionClass_Check(fallback)) {
        PyErr_SetString(PyExc_TypeError, "fallback must be an exception class");
        return NULL;
    }
    Dispatcher *self = (Dispatcher *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->routes = Py_NewRef(routes);
    self->device_routes = Py_NewRef(device_routes);
    self->slow = Py_NewRef(slow);
    self->fallback = Py_NewRef(fallback);
    self->vectorcall = dispatcher_vectorcall;
    self->state = state_of_type(type);
    if (self->state == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int
dispatcher_traverse(Dispatcher *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->routes);
    Py_VISIT(self->device_routes);
    Py_VISIT(self->slow);
    Py_VISIT(self->fallback);
    Py_VISIT(self->dict);
    Py_VISIT(self->last_device);
    Py_VISIT(self->last_target);
    Py_VISIT(self->last_type);
    Py_VISIT(self->last_entry);
    return 0;
}

static int
dispatcher_clear(Dispatcher *self)
{
    Py_CLEAR(self->routes);
    Py_CLEAR(self->device_routes);
    Py_CLEAR(self->slow);
    Py_CLEAR(self->fallback);
    Py_CLEAR(self->dict);
    Py_CLEAR(self->last_device);
    Py_CLEAR(self->last_target);
    Py_CLEAR(self->last_type);
    Py_CLEAR(self->last_entry);
    return 0;
}

static void
dispatcher_dealloc(Dispatcher *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    dispatcher_clear(self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
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

static PyObject *
dispatcher_reduce(Dispatcher *self, PyObject *unused)
{
    /* pickled by name, like a function: unpickling finds the module's own object */
    PyObject *name = self->dict ? PyDict_GetItemString(self->dict, "__qualname__") : NULL;
    if (name == NULL) {
        PyErr_SetString(PyExc_TypeError, "this dispatcher has no __qualname__ to pickle by");
        return NULL;
    }
    return Py_NewRef(name);
}

static PyMethodDef dispatcher_methods[] = {
    {"__reduce__", (PyCFunction)dispatcher_reduce, METH_NOARGS, "Pickle by qualified name."},
    {"run_items", (PyCFunction)(void (*)(void))dispatcher_run_items, METH_FASTCALL,
     "run_items(items, table, skip, walk, note, found) -> list: to_each's loop over a list."},
    {NULL},
};

static PyMemberDef dispatcher_members[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(Dispatcher, vectorcall), READONLY},
    {"__dictoffset__", T_PYSSIZET, offsetof(Dispatcher, dict), READONLY},
    {NULL},
};

static PyGetSetDef dispatcher_getset[] = {
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL},
    {NULL},
};

static PyType_Slot dispatcher_slots[] = {
    {Py_tp_new, dispatcher_new},
    {Py_tp_traverse, dispatcher_traverse},
    {Py_tp_clear, dispatcher_clear},
    {Py_tp_dealloc, dispatcher_dealloc},
    {Py_tp_call, PyVectorcall_Call},
    {Py_tp_descr_get, dispatcher_get},
    {Py_tp_repr, dispatcher_repr},
    {Py_tp_methods, dispatcher_methods},
    {Py_tp_members, dispatcher_members},
    {Py_tp_getset, dispatcher_getset},
    {Py_tp_doc, "interop.to in C: remembered routes first, the planner otherwise."},
    {0, NULL},
};

static PyType_Spec dispatcher_spec = {
    "interop._speedups.Dispatcher", sizeof(Dispatcher), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL |
        Py_TPFLAGS_IMMUTABLETYPE,
    dispatcher_slots,
};

/* -- WritableGuard -------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *func;
    PyObject *fallback;
    PyObject *ndarray;  /* numpy.ndarray: the struct layout PyArray_FLAGS reads */
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
    PyObject *array = args[0];
    if (!PyObject_TypeCheck(array, (PyTypeObject *)self->ndarray)) {
        PyErr_SetNone(self->fallback);  /* not a NumPy array: not this route's to decide */
        return NULL;
    }
    PyArrayObject *a = (PyArrayObject *)array;
    if (!(PyArray_FLAGS(a) & NPY_ARRAY_WRITEABLE) || !PyArray_ISNBO(PyArray_DESCR(a)->byteorder)) {
        PyErr_SetNone(self->fallback);
        return NULL;
    }
    /* torch.from_numpy throws (a C++ exception, ~100k instructions) for these: decide here */
    for (int d = 0; d < PyArray_NDIM(a); d++) {
        if (PyArray_STRIDES(a)[d] < 0) {
            PyErr_SetNone(self->fallback);
            return NULL;
        }
    }
    return PyObject_CallOneArg(self->func, array);
}

static PyObject *
guard_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *func, *fallback, *ndarray;
    if (!PyArg_ParseTuple(args, "OOO!:WritableGuard", &func, &fallback, &PyType_Type,
                          &ndarray)) {
        return NULL;
    }
    WritableGuard *self = (WritableGuard *)type->tp_alloc(type, 0);
    if (self != NULL) {
        self->func = Py_NewRef(func);
        self->fallback = Py_NewRef(fallback);
        self->ndarray = Py_NewRef(ndarray);
        self->vectorcall = guard_vectorcall;
    }
    return (PyObject *)self;
}

static int
guard_traverse(WritableGuard *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->func);
    Py_VISIT(self->fallback);
    Py_VISIT(self->ndarray);
    return 0;
}

static int
guard_clear(WritableGuard *self)
{
    Py_CLEAR(self->func);
    Py_CLEAR(self->fallback);
    Py_CLEAR(self->ndarray);
    return 0;
}

static void
guard_dealloc(WritableGuard *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    guard_clear(self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyMemberDef guard_members[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(WritableGuard, vectorcall), READONLY},
    {NULL},
};

static PyType_Slot guard_slots[] = {
    {Py_tp_new, guard_new},
    {Py_tp_call, PyVectorcall_Call},
    {Py_tp_traverse, guard_traverse},
    {Py_tp_clear, guard_clear},
    {Py_tp_dealloc, guard_dealloc},
    {Py_tp_members, guard_members},
    {Py_tp_doc, "WritableGuard(func, fallback, ndarray): func(array) for writable NumPy arrays only."},
    {0, NULL},
};

static PyType_Spec guard_spec = {
    "interop._speedups.WritableGuard", sizeof(WritableGuard), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL |
        Py_TPFLAGS_IMMUTABLETYPE,
    guard_slots,
};

/* -- DtypeGuard: func(x), kept only when the NumPy result has an allowed dtype --------- */

typedef struct {
    PyObject_HEAD
    PyObject *func;
    PyObject *allowed;   /* a frozenset of numpy dtypes */
    PyObject *fallback;
    PyObject *ndarray;
    vectorcallfunc vectorcall;
} DtypeGuard;

static PyObject *
dtype_guard_vectorcall(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    DtypeGuard *self = (DtypeGuard *)op;
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "a DtypeGuard takes one array");
        return NULL;
    }
    PyObject *result = PyObject_CallOneArg(self->func, args[0]);
    if (result == NULL) {
        return NULL;
    }
    if (!PyObject_TypeCheck(result, (PyTypeObject *)self->ndarray)) {
        Py_DECREF(result);
        PyErr_SetNone(self->fallback);
        return NULL;
    }
    int ok = PySet_Contains(self->allowed, (PyObject *)PyArray_DESCR((PyArrayObject *)result));
    if (ok != 1) {
        Py_DECREF(result);
        if (ok < 0 && !PyErr_ExceptionMatches(PyExc_Exception)) {
            return NULL;
        }
        PyErr_Clear();
        PyErr_SetNone(self->fallback);
        return NULL;
    }
    return result;
}

static PyObject *
dtype_guard_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *func, *allowed, *fallback, *ndarray;
    if (!PyArg_ParseTuple(args, "OO!OO!:DtypeGuard", &func, &PyFrozenSet_Type, &allowed,
                          &fallback, &PyType_Type, &ndarray)) {
        return NULL;
    }
    DtypeGuard *self = (DtypeGuard *)type->tp_alloc(type, 0);
    if (self != NULL) {
        self->func = Py_NewRef(func);
        self->allowed = Py_NewRef(allowed);
        self->fallback = Py_NewRef(fallback);
        self->ndarray = Py_NewRef(ndarray);
        self->vectorcall = dtype_guard_vectorcall;
    }
    return (PyObject *)self;
}

static int
dtype_guard_traverse(DtypeGuard *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->func);
    Py_VISIT(self->allowed);
    Py_VISIT(self->fallback);
    Py_VISIT(self->ndarray);
    return 0;
}

static int
dtype_guard_clear(DtypeGuard *self)
{
    Py_CLEAR(self->func);
    Py_CLEAR(self->allowed);
    Py_CLEAR(self->fallback);
    Py_CLEAR(self->ndarray);
    return 0;
}

static void
dtype_guard_dealloc(DtypeGuard *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    dtype_guard_clear(self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyMemberDef dtype_guard_members[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(DtypeGuard, vectorcall), READONLY},
    {NULL},
};

static PyType_Slot dtype_guard_slots[] = {
    {Py_tp_new, dtype_guard_new},
    {Py_tp_call, PyVectorcall_Call},
    {Py_tp_traverse, dtype_guard_traverse},
    {Py_tp_clear, dtype_guard_clear},
    {Py_tp_dealloc, dtype_guard_dealloc},
    {Py_tp_members, dtype_guard_members},
    {Py_tp_doc, "DtypeGuard(func, allowed, fallback, ndarray): func(x) if its dtype is allowed."},
    {0, NULL},
};

static PyType_Spec dtype_guard_spec = {
    "interop._speedups.DtypeGuard", sizeof(DtypeGuard), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL |
        Py_TPFLAGS_IMMUTABLETYPE,
    dtype_guard_slots,
};

/* -- numpy_key: NumpyAdapter.route_key without a Python frame ------------------------------ */

#define KEY_WRITEABLE 1
#define KEY_EMPTY 2
#define KEY_NEGATIVE 4
#define KEY_ODD 8
#define KEY_NONCOMPACT 16

static int
layout_bits(PyArrayObject *a)
{
    int nd = PyArray_NDIM(a), bits = 0, n = 0;
    npy_intp *shape = PyArray_DIMS(a), *strides = PyArray_STRIDES(a);
    /* read through Python: the struct field moved between NumPy 1 and 2 (rare path only) */
    PyObject *size_obj = PyObject_GetAttrString((PyObject *)PyArray_DESCR(a), "itemsize");
    npy_intp itemsize = size_obj == NULL ? 0 : PyLong_AsSsize_t(size_obj);
    Py_XDECREF(size_obj);
    if (itemsize <= 0) {
        PyErr_Clear();
        return KEY_ODD | KEY_NONCOMPACT;  /* unknowable: a key no plain array shares */
    }
    npy_intp dims[NPY_MAXDIMS][2];  /* (|stride|, size) of the dimensions larger than 1 */
    for (int i = 0; i < nd; i++) {
        if (shape[i] == 1) {
            continue;
        }
        npy_intp st = strides[i];
        if (st < 0) {
            bits |= KEY_NEGATIVE;
            st = -st;
        }
        if (itemsize && strides[i] % itemsize) {
            bits |= KEY_ODD;
        }
        int j = n++;  /* insertion sort by stride, ascending */
        while (j > 0 && dims[j - 1][0] > st) {
            dims[j][0] = dims[j - 1][0];
            dims[j][1] = dims[j - 1][1];
            j--;
        }
        dims[j][0] = st;
        dims[j][1] = shape[i];
    }
    npy_intp expected = itemsize;
    for (int i = 0; i < n; i++) {
        if (dims[i][0] != expected) {
            bits |= KEY_NONCOMPACT;
            break;
        }
        expected *= dims[i][1];
    }
    return bits;
}

/* NumpyKey(ndarray)(x) -> (dtype, bits): the dtype (byte order included), writability,
 * emptiness and, for arrays that are not C-contiguous, the same stride facts as
 * interop._layout.layout_bits.  `ndarray` is numpy.ndarray, whose struct it reads.
 * Dtypes without parameters are keyed by (type number, byte order) in one int; others
 * (str, structured, datetime...) by the dtype object itself. */
typedef struct {
    PyObject_HEAD
    PyObject *ndarray;
    vectorcallfunc vectorcall;
} NumpyKey;

static PyObject *
numpy_key_vectorcall(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    NumpyKey *self = (NumpyKey *)op;
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL ||
            !PyObject_TypeCheck(args[0], (PyTypeObject *)self->ndarray)) {
        PyErr_SetString(PyExc_TypeError, "NumpyKey takes one NumPy array");
        return NULL;
    }
    PyArrayObject *a = (PyArrayObject *)args[0];
    int flags = PyArray_FLAGS(a), bits = 0;
    npy_intp size = 1;
    for (int i = 0; i < PyArray_NDIM(a); i++) {
        size *= PyArray_DIMS(a)[i];
    }
    if (flags & NPY_ARRAY_WRITEABLE) {
        bits |= KEY_WRITEABLE;
    }
    if (size == 0) {
        bits |= KEY_EMPTY;
    } else if (!(flags & NPY_ARRAY_C_CONTIGUOUS)) {
        bits |= layout_bits(a);
    }
    PyArray_Descr *descr = PyArray_DESCR(a);
    int num = descr->type_num;
    if ((num >= 0 && num <= 16) || num == 23 || (num >= 256 && num < 1024)) {
        /* a dtype without parameters (builtin numbers, legacy user types such as
         * ml_dtypes') is its type number and byte order: one int, no allocation to hash */
        long code = ((long)num << 16) | ((long)(unsigned char)descr->byteorder << 8) | bits;
        return PyLong_FromLong(code);
    }
    PyObject *number = PyLong_FromLong(bits);
    if (number == NULL) {
        return NULL;
    }
    PyObject *key = PyTuple_Pack(2, (PyObject *)descr, number);
    Py_DECREF(number);
    return key;
}

static PyObject *
numpy_key_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *ndarray;
    if (!PyArg_ParseTuple(args, "O!:NumpyKey", &PyType_Type, &ndarray)) {
        return NULL;
    }
    NumpyKey *self = (NumpyKey *)type->tp_alloc(type, 0);
    if (self != NULL) {
        self->ndarray = Py_NewRef(ndarray);
        self->vectorcall = numpy_key_vectorcall;
    }
    return (PyObject *)self;
}

static int
numpy_key_traverse(NumpyKey *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->ndarray);
    return 0;
}

static int
numpy_key_clear(NumpyKey *self)
{
    Py_CLEAR(self->ndarray);
    return 0;
}

static void
numpy_key_dealloc(NumpyKey *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    numpy_key_clear(self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyMemberDef numpy_key_members[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(NumpyKey, vectorcall), READONLY},
    {NULL},
};

static PyType_Slot numpy_key_slots[] = {
    {Py_tp_new, numpy_key_new},
    {Py_tp_call, PyVectorcall_Call},
    {Py_tp_traverse, numpy_key_traverse},
    {Py_tp_clear, numpy_key_clear},
    {Py_tp_dealloc, numpy_key_dealloc},
    {Py_tp_members, numpy_key_members},
    {Py_tp_doc, "NumpyKey(ndarray)(x) -> (dtype, bits): what a plan reads of a NumPy array."},
    {0, NULL},
};

static PyType_Spec numpy_key_spec = {
    "interop._speedups.NumpyKey", sizeof(NumpyKey), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL |
        Py_TPFLAGS_IMMUTABLETYPE,
    numpy_key_slots,
};

/* -- module ----------------------------------------------------------------------------------- */

static int
add_type(PyObject *m, PyType_Spec *spec, PyTypeObject **slot)
{
    *slot = (PyTypeObject *)PyType_FromModuleAndSpec(m, spec, NULL);
    if (*slot == NULL) {
        return -1;
    }
    return PyModule_AddType(m, *slot);
}

static int
speedups_exec(PyObject *m)
{
    module_state *st = (module_state *)PyModule_GetState(m);
    if (add_type(m, &dispatcher_spec, &st->dispatcher_type) < 0 ||
        add_type(m, &native_spec, &st->native_type) < 0 ||
        add_type(m, &keyed_spec, &st->keyed_type) < 0 ||
        add_type(m, &guard_spec, &st->guard_type) < 0 ||
        add_type(m, &numpy_key_spec, &st->numpy_key_type) < 0 ||
        add_type(m, &dtype_guard_spec, &st->dtype_guard_type) < 0) {
        return -1;
    }
    return 0;
}

static int
speedups_traverse(PyObject *m, visitproc visit, void *arg)
{
    module_state *st = (module_state *)PyModule_GetState(m);
    Py_VISIT(st->dispatcher_type);
    Py_VISIT(st->native_type);
    Py_VISIT(st->keyed_type);
    Py_VISIT(st->guard_type);
    Py_VISIT(st->numpy_key_type);
    Py_VISIT(st->dtype_guard_type);
    return 0;
}

static int
speedups_clear(PyObject *m)
{
    module_state *st = (module_state *)PyModule_GetState(m);
    Py_CLEAR(st->dispatcher_type);
    Py_CLEAR(st->native_type);
    Py_CLEAR(st->keyed_type);
    Py_CLEAR(st->guard_type);
    Py_CLEAR(st->numpy_key_type);
    Py_CLEAR(st->dtype_guard_type);
    return 0;
}

static void
speedups_free(void *m)
{
    speedups_clear((PyObject *)m);
}

static PyObject *
tables_changed(PyObject *module, PyObject *unused)
{
    ((module_state *)PyModule_GetState(module))->version++;
    Py_RETURN_NONE;
}

static PyMethodDef speedups_functions[] = {
    {"tables_changed", tables_changed, METH_NOARGS,
     "The route tables changed: no dispatcher may answer from a lookup kept before."},
    {NULL},
};

static PyModuleDef_Slot speedups_module_slots[] = {
    {Py_mod_exec, speedups_exec},
    {0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "interop._speedups",
    .m_doc = "The remembered-route lookup of interop.to in C; interop works without it.",
    .m_size = sizeof(module_state),
    .m_methods = speedups_functions,
    .m_slots = speedups_module_slots,
    .m_traverse = speedups_traverse,
    .m_clear = speedups_clear,
    .m_free = speedups_free,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModuleDef_Init(&speedups_module);
}
