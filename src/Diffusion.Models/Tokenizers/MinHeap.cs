namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>A binary min-heap of 64-bit keys stored in a caller-provided span (no allocation).</summary>
internal static class MinHeap
{
    /// <summary>Adds <paramref name="value"/> to the heap held in <c>heap[..count]</c>.</summary>
    /// <param name="heap">Storage; must have room for one more element.</param>
    /// <param name="count">The number of elements; incremented.</param>
    /// <param name="value">The key to add.</param>
    public static void Push(Span<long> heap, ref int count, long value)
    {
        int i = count++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (heap[parent] <= value) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = value;
    }

    /// <summary>Removes and returns the smallest key of the heap held in <c>heap[..count]</c>.</summary>
    /// <param name="heap">Storage.</param>
    /// <param name="count">The number of elements (at least one); decremented.</param>
    /// <returns>The smallest key.</returns>
    public static long Pop(Span<long> heap, ref int count)
    {
        long top = heap[0];
        long last = heap[--count];
        int i = 0;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= count) break;
            if (child + 1 < count && heap[child + 1] < heap[child]) child++;
            if (heap[child] >= last) break;
            heap[i] = heap[child];
            i = child;
        }
        if (count > 0) heap[i] = last;
        return top;
    }
}
