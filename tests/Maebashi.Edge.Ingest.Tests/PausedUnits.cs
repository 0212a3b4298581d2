using System.Reflection;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// A store whose units can be held right after they locked their devices and persons (<see cref="IIngestWrite.LockAhead"/>),
/// and which counts how often a unit's work ran (more than once: the store ran it again, as PostgreSQL does after a
/// deadlock). Everything else goes to the inner store as it is.
/// </summary>
public class PausedUnits : DispatchProxy
{
    private IIngestStore _inner = null!;
    private int _runs;

    /// <summary>Called on the unit's thread after its LockAhead returned (the locks are held until the unit ends).</summary>
    public Action? AfterLockAhead { get; set; }

    /// <summary>How many times units' work ran in all.</summary>
    public int Runs => Volatile.Read(ref _runs);

    public static IIngestStore Around(IIngestStore inner, out PausedUnits proxy)
    {
        IIngestStore store = Create<IIngestStore, PausedUnits>();
        proxy = (PausedUnits)(object)store;
        proxy._inner = inner;
        return store;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == nameof(IIngestStore.Write) && targetMethod.IsGenericMethod)
        {
            args![0] = typeof(PausedUnits).GetMethod(nameof(Counted), BindingFlags.NonPublic | BindingFlags.Instance)!
                .MakeGenericMethod(targetMethod.GetGenericArguments()).Invoke(this, [args[0]]);
        }

        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    private Func<IIngestWrite, T> Counted<T>(Func<IIngestWrite, T> work) => w =>
    {
        Interlocked.Increment(ref _runs);
        return work(HookedWrite.Around(w, this));
    };

    /// <summary>The unit as the pipeline sees it: the store's, with <see cref="AfterLockAhead"/> after its LockAhead.</summary>
    public class HookedWrite : DispatchProxy
    {
        private IIngestWrite _inner = null!;
        private PausedUnits _owner = null!;

        public static IIngestWrite Around(IIngestWrite inner, PausedUnits owner)
        {
            IIngestWrite w = Create<IIngestWrite, HookedWrite>();
            var proxy = (HookedWrite)(object)w;
            proxy._inner = inner;
            proxy._owner = owner;
            return w;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            object? result;
            try
            {
                result = targetMethod.Invoke(_inner, args);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                throw e.InnerException;
            }

            if (targetMethod.Name == nameof(IIngestWrite.LockAhead))
            {
                _owner.AfterLockAhead?.Invoke();
            }

            return result;
        }
    }
}
